import type { FlowJson, UiNode } from './flow-json.js'
import type { KratosError } from './kratos-errors.js'
import type { UiText } from './texts.js'

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;font:inherit;cursor:pointer}.error{color:#b00020}.info{color:#555}
footer{margin-top:2rem;font-size:.85rem;color:#777}`

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main><footer>ory-proxy built-in identity server: for development only.</footer></body></html>
`
}

function messages(list: readonly UiText[] | undefined): string {
  if (list === undefined || list.length === 0) return ''
  return list
    .map((m) => `<p class="${m.type === 'error' ? 'error' : 'info'}" data-message-id="${m.id}">${escapeHtml(m.text)}</p>`)
    .join('\n')
}

function node(n: UiNode): string {
  const a = n.attributes
  const name = escapeHtml(a.name)
  if (a.type === 'hidden') return `<input type="hidden" name="${name}" value="${escapeHtml(a.value ?? '')}">`
  const label = escapeHtml(n.meta.label?.text ?? a.name)
  if (a.type === 'submit') {
    return `<button type="submit" name="${name}" value="${escapeHtml(a.value ?? '')}">${label}</button>`
  }
  const id = `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`
  const value = a.value === undefined ? '' : ` value="${escapeHtml(a.value)}"`
  const autocomplete = a.autocomplete === undefined ? '' : ` autocomplete="${escapeHtml(a.autocomplete)}"`
  return `<label for="${id}">${label}</label>
<input id="${id}" type="${a.type}" name="${name}"${value}${autocomplete}${a.required ? ' required' : ''}>
${messages(n.messages)}`
}

/** A login or registration page rendered from the flow JSON, so the page and the API can never disagree. */
export function flowPage(title: string, flow: FlowJson, alternative: { readonly text: string; readonly href: string }): string {
  const body = `${messages(flow.ui.messages)}
<form action="${escapeHtml(flow.ui.action)}" method="${flow.ui.method}">
${flow.ui.nodes.map(node).join('\n')}
</form>
<p><a href="${escapeHtml(alternative.href)}">${escapeHtml(alternative.text)}</a></p>`
  return layout(title, body)
}

export interface WelcomeLinks {
  readonly signIn: string
  readonly signUp: string
}

/** The welcome page: who is signed in and a logout link, or where to sign in. */
export function welcomePage(signedIn: { readonly email: string; readonly logoutUrl: string } | undefined, links: WelcomeLinks): string {
  if (signedIn === undefined) {
    return layout(
      'Welcome',
      `<p>You are not signed in.</p>
<p><a href="${escapeHtml(links.signIn)}">Sign in</a> or <a href="${escapeHtml(links.signUp)}">sign up</a>.</p>`,
    )
  }
  return layout(
    'Welcome',
    `<p>Signed in as <strong id="email">${escapeHtml(signedIn.email)}</strong>.</p>
<p><a id="logout" href="${escapeHtml(signedIn.logoutUrl)}">Sign out</a></p>`,
  )
}

/** The error page for a self-service error report. */
export function errorPage(error: KratosError, home: string): string {
  const reason = error.reason === undefined ? '' : `<p>${escapeHtml(error.reason)}</p>`
  const detail = typeof error.details?.reject_reason === 'string' ? `<p class="info">${escapeHtml(error.details.reject_reason)}</p>` : ''
  return layout(
    `${error.code} ${error.status}`,
    `<p class="error">${escapeHtml(error.message)}</p>
${reason}${detail}
<p><a href="${escapeHtml(home)}">Start again</a></p>`,
  )
}
