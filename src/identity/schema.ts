/** The one identity schema this server offers: `traits.email`, which is also the password identifier. */
export const SCHEMA_ID = 'default'
/** Kratos addresses schemas by the base64url of their id. */
export const SCHEMA_PATH_ID = Buffer.from(SCHEMA_ID).toString('base64url')
/** The trait's `title`, which Kratos turns into the node label. */
export const EMAIL_TITLE = 'E-Mail'
/** RFC 5321 §4.5.3.1: a forward-path is at most 256 octets; 320 is the common (local 64 + @ + domain 255) bound. */
export const MAX_EMAIL_LENGTH = 320

/** The JSON schema served at `/schemas/ZGVmYXVsdA`, in the shape of Kratos' preset email/password schema. */
export const IDENTITY_SCHEMA = Object.freeze({
  $id: 'https://schemas.ory.sh/presets/kratos/identity.email.schema.json',
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Person',
  type: 'object',
  properties: {
    traits: {
      type: 'object',
      properties: {
        email: {
          type: 'string',
          format: 'email',
          title: EMAIL_TITLE,
          maxLength: MAX_EMAIL_LENGTH,
          'ory.sh/kratos': {
            credentials: { password: { identifier: true } },
            verification: { via: 'email' },
            recovery: { via: 'email' },
          },
        },
      },
      required: ['email'],
      additionalProperties: false,
    },
  },
})
