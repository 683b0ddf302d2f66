// Each test runs a whole deployment (control plane, agents, redis-servers); one at a time keeps the machine's few
// cores free for the agents' heartbeats, so no agent turns stale just because the machine is busy.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
