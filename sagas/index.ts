/** Sagas across organisations (DESIGN.md section 13), the pure part: the document, templates, records. */
export * from './saga-document.js'
export * from './render-args.js'
export * from './saga-record.js'
