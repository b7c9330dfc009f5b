import http from 'node:http'
import { randomUUID } from 'node:crypto'
import type { TestContext } from 'node:test'
import { connectOry, type OryConnectionInputs } from '../../src/cli/ory-connection.js'
import type { ResolvedEndpoint } from '../../src/cli/ory-endpoint.js'
import { createLogger } from '../../src/logger.js'
import { tempDir } from './temp-dir.js'
import { serveOnLoopback } from './upstream.js'

export interface ConsoleProjectRecord {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly workspace_id: string
}

export interface ConsoleKeyRecord {
  readonly id: string
  readonly projectId: string
  readonly name: string
  readonly value: string
  /** As sent by the proxy (undefined when it sent none). */
  readonly expiresAt: string | undefined
  deleted: boolean
}

export interface ConsoleCall {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly rateLimitAction: string | undefined
  readonly body: string
}

/** What a bearer token may see: the projects of some workspaces (a workspace key or login), or one project. */
export type Grant = { readonly workspaces: readonly string[] } | { readonly project: string }

export interface FakeConsole {
  readonly url: string
  readonly calls: ConsoleCall[]
  readonly keys: ConsoleKeyRecord[]
  addWorkspace(name: string, id?: string): string
  addProject(workspaceId: string, slug: string, id?: string): ConsoleProjectRecord
  grant(token: string, grant: Grant): void
  /** Makes `POST .../tokens` (create) or `DELETE .../tokens/..` (delete) answer 500 from now on. */
  fail(what: 'create' | 'delete'): void
}

/**
 * An Ory-console-like API on 127.0.0.1:0, shaped as ory/client's ProjectAPI and WorkspaceAPI:
 * `GET /projects`, `GET /projects/{id}`, `GET /workspaces`, `GET /workspaces/{id}/projects`,
 * `POST /projects/{id}/tokens`, `DELETE /projects/{id}/tokens/{token}`, all behind
 * `Authorization: Bearer`. Records every call. Closed after the test.
 */
export async function startFakeConsole(t: TestContext): Promise<FakeConsole> {
  const workspaces: Array<{ id: string; name: string }> = []
  const projects: ConsoleProjectRecord[] = []
  const grants = new Map<string, Grant>()
  const calls: ConsoleCall[] = []
  const keys: ConsoleKeyRecord[] = []
  const failing = new Set<string>()

  const visibleProjects = (grant: Grant) =>
    'project' in grant ? projects.filter((p) => p.id === grant.project) : projects.filter((p) => grant.workspaces.includes(p.workspace_id))
  const visibleWorkspaces = (grant: Grant) => ('project' in grant ? [] : workspaces.filter((w) => grant.workspaces.includes(w.id)))

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const error = (res: http.ServerResponse, status: number, message: string) => json(res, status, { error: { code: status, message } })

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url!, 'http://console.test')
      const body = Buffer.concat(chunks).toString()
      const authorization = req.headers.authorization
      calls.push({
        method: req.method!,
        path: url.pathname,
        authorization,
        rateLimitAction: req.headers['ory-ratelimit-action'] as string | undefined,
        body,
      })
      const grant = grants.get(/^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '')
      if (grant === undefined) return error(res, 401, 'The API key is invalid or expired')
      const parts = url.pathname.split('/').filter((p) => p !== '')
      const project = parts[0] === 'projects' && parts[1] !== undefined ? visibleProjects(grant).find((p) => p.id === parts[1] || p.slug === parts[1]) : undefined
      if (req.method === 'GET' && url.pathname === '/projects') return json(res, 200, visibleProjects(grant))
      if (req.method === 'GET' && url.pathname === '/workspaces') {
        return json(res, 200, { workspaces: visibleWorkspaces(grant), has_next_page: false, next_page_token: '' })
      }
      if (req.method === 'GET' && parts[0] === 'workspaces' && parts[2] === 'projects' && parts.length === 3) {
        if (!visibleWorkspaces(grant).some((w) => w.id === parts[1])) return error(res, 404, 'workspace not found')
        return json(res, 200, { projects: projects.filter((p) => p.workspace_id === parts[1]), has_next_page: false, next_page: '' })
      }
      if (parts[0] === 'projects' && project === undefined) return error(res, 404, 'project not found')
      if (req.method === 'GET' && parts.length === 2) return json(res, 200, project)
      if (req.method === 'POST' && parts[2] === 'tokens' && parts.length === 3) {
        if (failing.has('create')) return error(res, 500, 'cannot create keys right now')
        const request = JSON.parse(body) as { name: string; expires_at?: string }
        const key: ConsoleKeyRecord = {
          id: randomUUID(),
          projectId: project!.id,
          name: request.name,
          value: `ory_pt_${randomUUID().replaceAll('-', '')}`,
          expiresAt: request.expires_at,
          deleted: false,
        }
        keys.push(key)
        return json(res, 201, { id: key.id, name: key.name, value: key.value, owner_id: 'owner', project_id: key.projectId, expires_at: key.expiresAt })
      }
      if (req.method === 'DELETE' && parts[2] === 'tokens' && parts.length === 4) {
        if (failing.has('delete')) return error(res, 500, 'cannot delete keys right now')
        const key = keys.find((k) => k.id === parts[3] && k.projectId === project!.id && !k.deleted)
        if (key === undefined) return error(res, 404, 'token not found')
        key.deleted = true
        res.writeHead(204)
        return res.end()
      }
      error(res, 404, 'not found')
    })
  })
  const { url } = await serveOnLoopback(t, server)
  return {
    url,
    calls,
    keys,
    addWorkspace: (name, id = randomUUID()) => {
      workspaces.push({ id, name })
      return id
    },
    addProject: (workspaceId, slug, id = randomUUID()) => {
      const project = { id, slug, name: slug, workspace_id: workspaceId }
      projects.push(project)
      return project
    },
    grant: (token, grant) => grants.set(token, grant),
    fail: (what) => failing.add(what),
  }
}

export interface Connected {
  readonly endpoint: ResolvedEndpoint | undefined
  readonly token: string | undefined
  /** What the logger wrote (notes and warnings). */
  readonly lines: string[]
  readonly release: () => Promise<void>
}

/**
 * Runs `connectOry` as `start` does, against `console` (via `$ORY_CONSOLE_API_URL`), with a home
 * directory that holds no Ory CLI config unless `inputs.home` says otherwise. Released after the test.
 */
export async function connectThrough(
  t: TestContext,
  console: FakeConsole,
  inputs: Partial<OryConnectionInputs> & { env?: Record<string, string> },
): Promise<Connected> {
  const lines: string[] = []
  const connection = await connectOry(
    {
      projectFlag: undefined,
      sdkUrlFlag: undefined,
      workspaceFlag: undefined,
      configPath: undefined,
      home: tempDir(t, 'ory-proxy-home-'),
      apiKeyExpiryMs: 12 * 3_600_000,
      logger: createLogger({ write: (line) => lines.push(line) }),
      ...inputs,
      env: { ORY_CONSOLE_API_URL: console.url, ...inputs.env },
    },
    (endpoint) => endpoint,
  )
  t.after(() => connection.release())
  return { endpoint: connection.built, token: connection.oryRequest.baseUrlRewriteToken, lines, release: connection.release }
}
