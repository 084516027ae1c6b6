/**
 * Compensation arguments may use the step's output, such as the id of what it created: a string that
 * is exactly `${output.a.b}` becomes that value (any JSON type); a template inside a longer string is
 * replaced by the value as text. A path the output lacks is an error naming the template, so a
 * compensation never runs with a hole in its arguments. Pure.
 */
import { fail, ok, type Result } from '../identity/result.js'

const WHOLE = /^\$\{output((?:\.[A-Za-z0-9_-]+)*)\}$/
const INNER = /\$\{output((?:\.[A-Za-z0-9_-]+)*)\}/g
const ANY = /\$\{([^}]*)\}/g
const HAS = Object.prototype.hasOwnProperty

/** A template that names anything but `output...` is refused when the document is checked. */
export function findTemplateError (v: unknown): string | undefined {
  if (typeof v === 'string') {
    for (const m of v.matchAll(ANY)) if (!/^output(\.[A-Za-z0-9_-]+)*$/.test(m[1] ?? '')) return `template \${${m[1] ?? ''}} may only name the step's output (\${output.field})`
    return undefined
  }
  if (Array.isArray(v)) { for (const x of v) { const e = findTemplateError(x); if (e != null) return e } return undefined }
  if (v != null && typeof v === 'object') { for (const x of Object.values(v)) { const e = findTemplateError(x); if (e != null) return e } }
  return undefined
}

function at (output: unknown, path: string): { found: boolean, value?: unknown } {
  let cur = output
  for (const seg of path.split('.').filter(s => s !== '')) {
    if (cur == null || typeof cur !== 'object' || !HAS.call(cur, seg)) return { found: false }
    cur = (cur as Record<string, unknown>)[seg]
  }
  return { found: true, value: cur }
}

/** The compensation's arguments with every `${output...}` filled from the step's output. */
export function renderArgs (args: unknown, output: unknown): Result<unknown> {
  if (typeof args === 'string') {
    const whole = WHOLE.exec(args)
    if (whole != null) {
      const v = at(output, whole[1] ?? '')
      return v.found ? ok(v.value) : fail('TEMPLATE_UNRESOLVED', `\${output${whole[1] ?? ''}} is not in the step's output`)
    }
    let missing: string | undefined
    const text = args.replace(INNER, (_m, path: string) => {
      const v = at(output, path)
      if (!v.found) missing ??= path
      return typeof v.value === 'string' ? v.value : JSON.stringify(v.value ?? null)
    })
    return missing == null ? ok(text) : fail('TEMPLATE_UNRESOLVED', `\${output${missing}} is not in the step's output`)
  }
  if (Array.isArray(args)) {
    const out: unknown[] = []
    for (const x of args) { const r = renderArgs(x, output); if (!r.ok) return r; out.push(r.value) }
    return ok(out)
  }
  if (args != null && typeof args === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(args)) { const r = renderArgs(x, output); if (!r.ok) return r; out[k] = r.value }
    return ok(out)
  }
  return ok(args)
}
