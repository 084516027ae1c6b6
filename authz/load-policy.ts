/**
 * Load a policy and its parents. Text is parsed as YAML (JSON is YAML), validated strictly, and each
 * `extends` reference is resolved through a loader callback, so the node decides where documents come
 * from (files, the mesh). Cycles, missing parents and children that loosen a parent are load errors;
 * the result lists every document once, parents first.
 */
import { parseDocument } from 'yaml'
import { fail, ok, type Result } from '../identity/result.js'
import { jsonDepth } from '../identity/jwt.js'
import { PolicyLoadCode, PolicyLoadError } from './errors.js'
import { checkNoLoosening } from './inheritance.js'
import { validatePolicyDocument, type EffectivePolicy, type PolicyDocument, type PolicyLevel } from './policy-document.js'

/** Returns the text of a referenced document, or undefined when there is none. */
export type PolicySourceLoader = (ref: string) => string | undefined

export interface LoadPolicyOptions {
  /** Largest document accepted, in characters. */
  maxBytes?: number
  /** Most documents in one extends graph. */
  maxDocuments?: number
  /** Longest extends path from the loaded document to a root. */
  maxDepth?: number
}

export const MAX_POLICY_BYTES = 256 * 1024
export const MAX_POLICY_DOCUMENTS = 32
export const MAX_EXTENDS_DEPTH = 8
/** Deepest `[`/`{` nesting accepted in a document (counted before parsing). */
export const MAX_FLOW_DEPTH = 64

/** Parse and validate one document. Throws PolicyLoadError (POLICY_PARSE_ERROR / POLICY_SCHEMA_ERROR). */
export function parsePolicyDocument (text: string, file: string, options: LoadPolicyOptions = {}): PolicyDocument {
  const maxBytes = options.maxBytes ?? MAX_POLICY_BYTES
  if (typeof text !== 'string') throw new PolicyLoadError(PolicyLoadCode.POLICY_PARSE_ERROR, 'document text is not a string', { file })
  if (text.length > maxBytes) throw new PolicyLoadError(PolicyLoadCode.POLICY_PARSE_ERROR, `document is ${text.length} characters, limit ${maxBytes}`, { file })
  // refuse deep flow nesting before the YAML parser recurses into it (it only stops at a stack
  // overflow, after up to seconds); a policy needs a handful of levels
  if (jsonDepth(text) > MAX_FLOW_DEPTH) throw new PolicyLoadError(PolicyLoadCode.POLICY_PARSE_ERROR, `document nests [ or { deeper than ${MAX_FLOW_DEPTH}`, { file })
  let value: unknown
  try {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true, strict: true, version: '1.2' })
    if (doc.errors.length > 0) throw doc.errors[0]
    if (doc.warnings.length > 0) throw doc.warnings[0]
    // aliases are refused outright: a policy has no need for them and they enable expansion bombs
    value = doc.toJS({ maxAliasCount: 0 })
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err)
    throw new PolicyLoadError(PolicyLoadCode.POLICY_PARSE_ERROR, `cannot parse: ${msg}`, { file })
  }
  return validatePolicyDocument(value, file)
}

function fetchText (ref: string, loader: PolicySourceLoader, from: string | undefined): string {
  let text: string | undefined
  try {
    text = loader(ref)
  } catch (err) {
    throw new PolicyLoadError(PolicyLoadCode.POLICY_NOT_FOUND, `cannot load ${ref}: ${err instanceof Error ? err.message : String(err)}`, { file: from ?? ref, ...(from != null ? { field: 'extends' } : {}) })
  }
  if (text == null) {
    throw new PolicyLoadError(PolicyLoadCode.POLICY_NOT_FOUND, from != null ? `parent '${ref}' not found` : `policy '${ref}' not found`, { file: from ?? ref, ...(from != null ? { field: 'extends' } : {}) })
  }
  return text
}

/**
 * Load `ref` and everything it extends, checking that no document loosens its ancestors.
 * Throws PolicyLoadError.
 */
export function loadPolicy (ref: string, loader: PolicySourceLoader, options: LoadPolicyOptions = {}): EffectivePolicy {
  const maxDocs = options.maxDocuments ?? MAX_POLICY_DOCUMENTS
  const maxDepth = options.maxDepth ?? MAX_EXTENDS_DEPTH
  const loaded = new Map<string, PolicyLevel>()
  const ancestorsOf = new Map<string, PolicyLevel[]>()
  const order: PolicyLevel[] = []
  const onStack: string[] = []

  const visit = (r: string, from: string | undefined): PolicyLevel => {
    const cycleAt = onStack.indexOf(r)
    if (cycleAt >= 0) {
      const path = [...onStack.slice(cycleAt), r].join(' -> ')
      throw new PolicyLoadError(PolicyLoadCode.POLICY_EXTENDS_CYCLE, `extends cycle: ${path}`, { file: from ?? r, field: 'extends' })
    }
    const done = loaded.get(r)
    if (done != null) return done
    if (onStack.length > maxDepth) throw new PolicyLoadError(PolicyLoadCode.POLICY_SCHEMA_ERROR, `extends chain deeper than ${maxDepth}: ${[...onStack, r].join(' -> ')}`, { file: from ?? r, field: 'extends' })
    if (loaded.size + onStack.length >= maxDocs) throw new PolicyLoadError(PolicyLoadCode.POLICY_SCHEMA_ERROR, `more than ${maxDocs} documents in the extends graph`, { file: from ?? r, field: 'extends' })
    const document = parsePolicyDocument(fetchText(r, loader, from), r, options)
    onStack.push(r)
    const ancestors: PolicyLevel[] = []
    for (const parentRef of document.extends) {
      const parent = visit(parentRef, r)
      for (const a of [...(ancestorsOf.get(parentRef) ?? []), parent]) if (!ancestors.includes(a)) ancestors.push(a)
    }
    onStack.pop()
    const level: PolicyLevel = { file: r, document }
    checkNoLoosening(level, ancestors)
    loaded.set(r, level)
    ancestorsOf.set(r, ancestors)
    order.push(level)
    return level
  }

  visit(ref, undefined)
  return { levels: order }
}

/** loadPolicy as a Result: the failure code is the PolicyLoadError code. */
export function tryLoadPolicy (ref: string, loader: PolicySourceLoader, options: LoadPolicyOptions = {}): Result<EffectivePolicy> {
  try {
    return ok(loadPolicy(ref, loader, options))
  } catch (err) {
    if (err instanceof PolicyLoadError) return fail(err.code, err.message)
    return fail(PolicyLoadCode.POLICY_PARSE_ERROR, `cannot load policy ${ref}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Load a single in-memory document (and its parents through `loader`, if any). */
export function loadPolicyText (text: string, file = '<inline>', loader: PolicySourceLoader = () => undefined, options: LoadPolicyOptions = {}): EffectivePolicy {
  return loadPolicy(file, (r) => (r === file ? text : loader(r)), options)
}
