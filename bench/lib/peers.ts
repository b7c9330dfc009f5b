import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../../test/helpers/upstream.js'

/**
 * The bench's peers: proxies that are not Node. The Go one is `net/http/httputil`'s ReverseProxy
 * (what `ory proxy` runs on), built from bench/roles/go-proxy/main.go with Debian's `golang-go`;
 * nginx is Debian's, as a reverse proxy with keep-alive upstream connections. bench/ensure-peers.sh
 * installs both when missing. Each runs as one process tree whose CPU and RSS are read like ours.
 */
export interface Peer {
  readonly port: number
  /** The process whose tree (nginx: master and worker) is measured. */
  readonly pid: number
  stop(): Promise<void>
}

const ROLES = fileURLToPath(new URL('../roles/', import.meta.url))
const BIN = fileURLToPath(new URL('../results/bin/', import.meta.url))

/** Installs the peers and wrk when missing (apt-get, as root), once per bench run. */
let ensured = false
export function ensurePeers(): void {
  if (ensured) return
  execFileSync('bash', [fileURLToPath(new URL('../ensure-peers.sh', import.meta.url))], { stdio: 'inherit', timeout: 600_000 })
  ensured = true
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.once('error', () => resolve())
  })
}

/** Builds and starts the Go httputil proxy in front of `origin` (`env` beside the bench's); it exits when its stdin closes. */
export async function startGoProxy(origin: string, env: Readonly<Record<string, string>> = {}): Promise<Peer> {
  ensurePeers()
  mkdirSync(BIN, { recursive: true })
  const binary = join(BIN, 'go-proxy')
  // GOFLAGS and the caches in bench/results: no module download (it imports the standard library only).
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: join(ROLES, 'go-proxy'),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOCACHE: join(BIN, 'go-cache'), GOPATH: join(BIN, 'go-path'), GOPROXY: 'off' },
    stdio: 'inherit',
    timeout: 300_000,
  })
  const child = spawn(binary, [origin], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } })
  const exited = exitOf(child)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('go-proxy: no port in 10 s')), 10_000)
    let seen = ''
    child.stdout!.on('data', (data: Buffer) => {
      seen += data.toString()
      if (seen.includes('\n')) {
        clearTimeout(timer)
        resolve(Number(seen.trim()))
      }
    })
    void exited.then(() => reject(new Error('go-proxy exited before it listened')))
  })
  return {
    port,
    pid: child.pid!,
    stop: () => {
      child.stdin!.end()
      return exited
    },
  }
}

/**
 * nginx as a reverse proxy: one worker process (as ours is one process), keep-alive connections to
 * the origin (HTTP/1.1, `Connection` cleared), no access log. Responses are buffered in memory up to
 * 8 × 64 KiB and never spill to a temporary file (`proxy_max_temp_file_size 0`): beyond that nginx
 * reads the origin only as fast as the client takes the response, so it streams as ours does.
 */
export async function startNginx(origin: string): Promise<Peer> {
  ensurePeers()
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'ory-proxy-bench-nginx-'))
  const upstream = new URL(origin).host
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream origin { server ${upstream}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 64k;
      proxy_buffers 8 64k;
      proxy_max_temp_file_size 0;
    }
  }
}
`,
  )
  // Debian puts it in /usr/sbin, which a non-login PATH may lack.
  const nginx = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx'
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = exitOf(child)
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, 10_000, exited)
  } catch (error) {
    await stop()
    throw error
  }
  return { port, pid: child.pid!, stop }
}

/** Resolves once something accepts connections on 127.0.0.1:`port` (bounded). */
async function waitForPort(port: number, timeoutMs: number, exited: Promise<void>): Promise<void> {
  let gone = false
  void exited.then(() => (gone = true))
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline && !gone) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' })
      socket.once('connect', () => (socket.destroy(), resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(gone ? 'nginx exited before it listened' : `nginx: port ${port} not open in ${timeoutMs} ms`)
}
