/** An agent along a chain as the authorisation core sees it: what its verified AgentCredential says. */
export interface PrincipalInfo {
  did: string
  org: string
  ring: number
  name: string
  capabilities: readonly string[]
  credential: string
}
