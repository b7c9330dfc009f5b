import type { FlowJson } from './flow-json.js'
import type { KratosError } from './kratos-errors.js'
import type { CourierMessage } from './outbox.js'
import type { UiText } from './texts.js'
import type { UiNode } from './ui-nodes.js'

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

/** A node's value as form text. */
function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value)
}

function node(n: UiNode): string {
  const a = n.attributes
  const name = escapeHtml(a.name)
  if (a.type === 'hidden') return `<input type="hidden" name="${name}" value="${escapeHtml(text(a.value))}">`
  const label = escapeHtml(n.meta.label?.text ?? a.name)
  if (a.type === 'submit') {
    // "Resend code" must submit while the code field is still empty.
    const novalidate = a.name === 'email' ? ' formnovalidate' : ''
    return `<button type="submit" name="${name}" value="${escapeHtml(text(a.value))}"${novalidate}>${label}</button>`
  }
  const id = `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`
  const required = a.required ? ' required' : ''
  if (a.type === 'checkbox') {
    return `<label for="${id}"><input id="${id}" type="checkbox" name="${name}" value="true"${a.value === true ? ' checked' : ''}${required} style="width:auto"> ${label}</label>
${messages(n.messages)}`
  }
  if (a.options !== undefined) {
    const options = a.options
      .map((o) => `<option value="${escapeHtml(text(o.value))}"${o.value === a.value ? ' selected' : ''}>${escapeHtml(text(o.value))}</option>`)
      .join('')
    return `<label for="${id}">${label}</label>
<select id="${id}" name="${name}"${required}><option value=""></option>${options}</select>
${messages(n.messages)}`
  }
  const value = a.value === undefined ? '' : ` value="${escapeHtml(text(a.value))}"`
  const autocomplete = a.autocomplete === undefined ? '' : ` autocomplete="${escapeHtml(a.autocomplete)}"`
  const pattern = a.pattern === undefined ? '' : ` pattern="${escapeHtml(a.pattern)}"`
  const maxlength = a.maxlength === undefined ? '' : ` maxlength="${a.maxlength}"`
  return `<label for="${id}">${label}</label>
<input id="${id}" type="${a.type}" name="${name}"${value}${autocomplete}${pattern}${maxlength}${required}>
${messages(n.messages)}`
}

export interface PageLink {
  readonly text: string
  readonly href: string
}

/**
 * A flow's page rendered from the flow JSON, so the page and the API can never disagree. Nodes of
 * one group share a form (settings has a profile form and a password form, as Kratos' UIs do).
 */
export function flowPage(title: string, flow: FlowJson, links: readonly PageLink[]): string {
  const groups = new Map<string, UiNode[]>()
  const hidden = flow.ui.nodes.filter((n) => n.group === 'default' && n.attributes.type === 'hidden')
  for (const n of flow.ui.nodes) {
    if (hidden.includes(n)) continue
    const list = groups.get(n.group) ?? []
    list.push(n)
    groups.set(n.group, list)
  }
  // Login and registration keep their fields in one form with the button of the password group.
  const merged = groups.has('profile') ? [...groups.values()] : [[...groups.values()].flat()]
  const forms = merged
    .map((nodes) => `<form action="${escapeHtml(flow.ui.action)}" method="${flow.ui.method}">
${[...hidden, ...nodes].map(node).join('\n')}
</form>`)
    .join('\n')
  const body = `${messages(flow.ui.messages)}
${forms}
${links.map((link) => `<p><a href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>`).join('\n')}`
  return layout(title, body)
}

export interface WelcomeLinks {
  readonly signIn: string
  readonly signUp: string
  readonly settings: string
  readonly verify: string
  readonly recover: string
}

/** The welcome page: who is signed in, their settings and a logout link, or where to sign in. */
export function welcomePage(signedIn: { readonly name: string; readonly logoutUrl: string } | undefined, links: WelcomeLinks): string {
  if (signedIn === undefined) {
    return layout(
      'Welcome',
      `<p>You are not signed in.</p>
<p><a href="${escapeHtml(links.signIn)}">Sign in</a> or <a href="${escapeHtml(links.signUp)}">sign up</a>.</p>
<p><a href="${escapeHtml(links.recover)}">Recover your account</a></p>`,
    )
  }
  return layout(
    'Welcome',
    `<p>Signed in as <strong id="email">${escapeHtml(signedIn.name)}</strong>.</p>
<p><a id="settings" href="${escapeHtml(links.settings)}">Account settings</a> · <a id="verify" href="${escapeHtml(links.verify)}">Verify your email address</a></p>
<p><a id="logout" href="${escapeHtml(signedIn.logoutUrl)}">Sign out</a></p>`,
  )
}

/** The outbox page (admin listener): recent courier messages, newest first, codes included. */
export function outboxPage(list: readonly CourierMessage[]): string {
  const rows = list
    .map(
      (m) => `<article class="message" data-template="${escapeHtml(m.templateType)}">
<p><strong>${escapeHtml(m.subject)}</strong> to <span class="recipient">${escapeHtml(m.recipient)}</span> · ${new Date(m.createdAt).toISOString()}</p>
<pre>${escapeHtml(m.body)}</pre>
</article>`,
    )
    .join('\n')
  return layout('Outbox', list.length === 0 ? '<p>No messages yet.</p>' : rows)
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
