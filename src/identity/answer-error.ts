import type { IdentityContext } from './context.js'
import type { Exchange } from './exchange.js'
import type { KratosErrorBody } from './kratos-errors.js'

/**
 * Answers an error as Kratos does: JSON for API flows and clients that ask for JSON; a browser
 * navigation is redirected (303) to the error UI, which reads the report back by id.
 */
export function answerError(ctx: IdentityContext, ex: Exchange, body: KratosErrorBody, browser: boolean): void {
  if (!browser || ex.wantsJson) return ex.error(body)
  const report = ctx.errorReports.add(body, ex.now)
  ex.redirect(`${ctx.origin}/ui/error?id=${report.id}`)
}
