/** A small page for answers the proxy writes itself: JSON for API clients, HTML for browsers. */
export interface ErrorPage {
  readonly contentType: string
  readonly body: string
}

/** True when the client prefers JSON (`Accept` names JSON and not HTML), as SPAs and SDKs send. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept.includes('json') && !accept.includes('text/html')
}

/**
 * Renders an error answer. The JSON shape follows Ory's own error bodies (`{ error: { code,
 * status, reason, request } }`) so SDK error handling works on proxy errors too.
 */
export function renderErrorPage(
  status: number,
  title: string,
  detail: string,
  requestId: string,
  accept: string | undefined,
): ErrorPage {
  if (wantsJson(accept)) {
    return {
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ error: { code: status, status: title, reason: detail, request: requestId } }),
    }
  }
  return {
    contentType: 'text/html; charset=utf-8',
    body:
      `<!doctype html><meta charset="utf-8"><title>${status} ${escapeHtml(title)}</title>` +
      `<h1>${status} ${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>` +
      `<p><small>ory-proxy · request ${escapeHtml(requestId)}</small></p>\n`,
  }
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!)
}
