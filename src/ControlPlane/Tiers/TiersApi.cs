using ControlPlane.Datasets;
using ControlPlane.Identity;
using ControlPlane.Environments;
using ControlPlane.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace ControlPlane.Tiers;

public static class TiersApi
{
    public static IEndpointRouteBuilder MapTiersApi(this IEndpointRouteBuilder app)
    {
        var tiers = app.MapGroup("/api/v1/tiers").WithTags("Tiers");
        tiers.MapGet("/", Overview).RequireAuthorization(Policies.Viewer)
            .WithSummary("Versions per tier and dataset, sizes, and the archive job's progress and failures.");
        tiers.MapGet("/{dataset}", Dataset).RequireAuthorization(Policies.Viewer)
            .WithSummary("Where each version of a dataset lives, its size there, and why it stays warm.");
        tiers.MapPost("/archive/run", RunArchive).RequireAuthorization(Policies.Admin)
            .WithSummary("Run the archive job now (it also runs every Tiers:ArchiveInterval).");

        var policy = app.MapGroup("/api/v1/environments/{environment}/tiers").WithTags("Tiers");
        policy.MapGet("/policy", GetPolicy).RequireAuthorization(Policies.Viewer).WithSummary("The environment's tier policy and its effect now.");
        policy.MapPut("/policy", PutPolicy).RequireAuthorization(Policies.Admin)
            .WithSummary("Set the environment's tier policy (dryRun=true shows its effect without saving): releases leaving hot, versions to archive.");
        return app;
    }

    private static async Task<Ok<TierOverview>> Overview(TierQueries queries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queries.OverviewAsync(cancellationToken));

    private static async Task<Results<Ok<DatasetTierView>, ProblemHttpResult>> Dataset(
        string dataset, int? before, int? limit, TierQueries queries, CancellationToken cancellationToken)
    {
        if (DatasetDefinition.Find(dataset) is not { } definition)
        {
            return Problems.NotFound($"There is no dataset '{dataset}'.");
        }

        if (limit is < 1 or > 1000)
        {
            return Problems.BadParameter("limit", "limit must be between 1 and 1000.");
        }

        return TypedResults.Ok(await queries.DatasetAsync(definition, before, limit ?? 100, cancellationToken));
    }

    private static async Task<Ok<ArchiveRunResult>> RunArchive(ArchiveJob job, CancellationToken cancellationToken) =>
        TypedResults.Ok(await job.RunOnceAsync(cancellationToken));

    private static async Task<Results<Ok<TierPolicyView>, ProblemHttpResult>> GetPolicy(
        string environment, EnvironmentStore environments, NpgsqlDataSource dataSource, TierPolicyStore policies, TierPlanner planner,
        CancellationToken cancellationToken)
    {
        if (!await environments.ExistsAsync(environment, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{environment}'.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var stored = await policies.StoredAsync(connection, environment, cancellationToken);
        var policy = stored?.Policy ?? policies.Default;
        return TypedResults.Ok(new TierPolicyView(environment, policy, stored is null, stored?.At, stored?.By,
            await EffectAsync(connection, planner, environment, policy, cancellationToken)));
    }

    private static async Task<Results<Ok<TierPolicyView>, ProblemHttpResult>> PutPolicy(
        string environment, TierPolicyRequest request, bool? dryRun, HttpContext context, EnvironmentStore environments,
        NpgsqlDataSource dataSource, TierPolicyStore policies, TierPlanner planner, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!await environments.ExistsAsync(environment, cancellationToken))
        {
            return Problems.NotFound($"There is no environment '{environment}'.");
        }

        var (policy, field, problem) = policies.Validate(request);
        if (policy is null)
        {
            return Problems.BadParameter(field!, problem!);
        }

        TierEffect effect;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            effect = await EffectAsync(connection, planner, environment, policy, cancellationToken);
        }

        if (dryRun == true)
        {
            return TypedResults.Ok(new TierPolicyView(environment, policy, false, null, null, effect));
        }

        var actor = DatasetsApi.Actor(context);
        var now = time.GetUtcNow();
        await policies.SaveAsync(environment, policy, actor, now, effect.Summary, cancellationToken);
        return TypedResults.Ok(new TierPolicyView(environment, policy, false, now, actor, effect));
    }

    /// <summary>What the policy does compared with now: releases entering or leaving hot, versions the next archive run takes.</summary>
    private static async Task<TierEffect> EffectAsync(
        NpgsqlConnection connection, TierPlanner planner, string environment, TierPolicy policy, CancellationToken cancellationToken)
    {
        var now = await planner.PlanAsync(connection, null, cancellationToken);
        var proposed = await planner.PlanAsync(connection, (environment, policy), cancellationToken);
        var hotNow = now.HotReleases.GetValueOrDefault(environment) ?? [];
        var hotThen = proposed.HotReleases.GetValueOrDefault(environment) ?? [];
        var leaving = hotNow.Except(hotThen).ToList();
        var entering = hotThen.Except(hotNow).ToList();
        var datasets = proposed.Datasets.Values.Select(plan => new DatasetTierEffect(
            plan.Dataset.Name,
            plan.Versions.Count(v => v.Tier == "warm"),
            plan.Versions.Count(v => v.Tier == "cold"),
            [.. plan.WarmWindow],
            [.. plan.ToArchive],
            [.. plan.Protected.Select(p => new ProtectedVersion(p.Key, p.Value))])).ToList();

        var archived = datasets.Where(d => d.ToArchive.Count > 0).Select(d => $"{d.Dataset} {string.Join(", ", d.ToArchive)}").ToList();
        var total = datasets.Sum(d => d.ToArchive.Count);
        var summary = total == 0
            ? "No version leaves warm."
            : $"{total} version(s) will be archived to cold: {string.Join("; ", archived)}.";
        if (leaving.Count > 0)
        {
            summary += $" Release(s) {string.Join(", ", leaving)} leave hot (rolling back to them stages data again).";
        }

        if (entering.Count > 0)
        {
            summary += $" Release(s) {string.Join(", ", entering)} become hot again (agents stage them).";
        }

        return new TierEffect(summary, hotThen, leaving, entering, datasets);
    }
}
