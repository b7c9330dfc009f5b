// The floor of --workers 2: the minimal pass-through (reference-proxy.mjs) in two cluster workers.
// Node's round-robin hands the client's keep-alive connections out in turn (26/24 to 34/16 of 50
// seen), so what this costs above one reference process is what two Node processes sharing the
// load cost, with nothing of ory-proxy's cluster in it. Usage (from the bench): node
// reference-cluster-proxy.mjs <origin>; reports its port over IPC once both workers listen.
import cluster from 'node:cluster'
import { fileURLToPath } from 'node:url'

const WORKERS = 2

cluster.schedulingPolicy = cluster.SCHED_RR
cluster.setupPrimary({ exec: fileURLToPath(new URL('./reference-proxy.mjs', import.meta.url)), args: process.argv.slice(2) })
let listening = 0
for (let i = 0; i < WORKERS; i++) {
  cluster.fork().on('message', ({ port }) => {
    if (++listening === WORKERS) process.send({ port })
  })
}
// Workers exit when this process goes (their IPC channel closes: pass-through.mjs).
process.on('disconnect', () => process.exit(0))
