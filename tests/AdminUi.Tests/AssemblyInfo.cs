// Each test runs a whole deployment (control plane, agents, redis-servers, the UI and a browser); one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
