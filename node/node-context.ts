/** Transitional alias while protocol classes move to narrow components (removed once they have). */
import type { Components } from './components.js'
export type NodeContext = Components
export type { DecisionEvent, ParkedTask } from './components.js'
