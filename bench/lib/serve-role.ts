import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * Serves a bench role on 127.0.0.1 port 0, tells the parent the port over IPC, and exits when the
 * parent disconnects (so a crashed orchestrator leaves nothing behind).
 */
export async function serveRole(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  process.send!({ port: (server.address() as AddressInfo).port })
  process.on('disconnect', () => process.exit(0))
}
