import type { IdentityContext } from '../context.js'
import type { Exchange } from '../exchange.js'
import { errors } from '../kratos-errors.js'

/** `GET /schemas` (Kratos' `listIdentitySchemas`): the one schema, with its id. */
export function listSchemas(ctx: IdentityContext, ex: Exchange): void {
  ex.json(200, [{ id: ctx.schema.id, schema: ctx.schema.json }])
}

/** `GET /schemas/<id>` (Kratos' `getIdentitySchema`): by the base64url id identities link to, or the plain id. */
export function getSchema(ctx: IdentityContext, ex: Exchange): void {
  const id = ex.url.pathname.slice('/schemas/'.length)
  if (id !== ctx.schema.pathId && id !== ctx.schema.id) return ex.error(errors.notFound(`No identity schema has the id ${JSON.stringify(id)}.`))
  ex.json(200, ctx.schema.json)
}
