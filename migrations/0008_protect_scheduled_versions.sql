-- Versions a schedule will need are never archived or removed (issue 5, "never delete a version that is ...
-- scheduled"): the release a pending or armed schedule activates, and the release it reverts to (the named
-- revertTo, or the release that was live just before its activation). The view keeps the three columns of
-- migrations/0005; the first four branches are 0005's, unchanged.
CREATE OR REPLACE VIEW protected_versions AS
    SELECT d.id AS dataset_id, (v.value)::int AS version, 'live in ' || e.name AS reason
    FROM environments e
    JOIN releases r ON r.id = e.live_release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    UNION ALL
    SELECT d.id, (v.value)::int, 'release ' || r.id || ' in flight in ' || p.environment || ' (' || p.state || ')'
    FROM publications p
    JOIN releases r ON r.id = p.release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.state IN ('Staging', 'Staged', 'Switching', 'Partial')
    UNION ALL
    -- A pin freezes what is live in an environment, or in one group (whose agents may hold an older release).
    SELECT d.id, (v.value)::int, 'pinned in ' || p.environment || coalesce('/' || p.agent_group, '') || ': ' || p.reason
    FROM pins p
    JOIN environments e ON e.name = p.environment
    JOIN releases r ON r.id = e.live_release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.removed_at IS NULL
    UNION ALL
    SELECT d.id, (v.value)::int, 'pinned in ' || p.environment || coalesce('/' || p.agent_group, '') || ': ' || p.reason
    FROM pins p
    JOIN agents a ON a.environment = p.environment AND (p.agent_group IS NULL OR a.agent_group = p.agent_group)
    JOIN releases r ON r.id = (a.report->>'liveReleaseId')::bigint
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE p.removed_at IS NULL
    UNION ALL
    -- Open schedules (Scheduled, Activating, Active, Reverting): what they activate and what they revert to.
    SELECT d.id, (v.value)::int, 'scheduled in ' || s.environment || ' (schedule ' || s.id || ', ' || t.role || ' release ' || r.id || ')'
    FROM schedules s
    -- A schedule without revertTo goes back to the release live before its activation, known once it started.
    CROSS JOIN LATERAL (VALUES ('activates', s.release_id),
                               ('reverts to', CASE WHEN s.has_revert THEN coalesce(s.revert_to_release_id, s.previous_release_id) END)) t (role, release_id)
    JOIN releases r ON r.id = t.release_id
    CROSS JOIN LATERAL jsonb_each_text(r.versions) v
    JOIN datasets d ON d.name = v.key
    WHERE s.state IN ('Scheduled', 'Activating', 'Active', 'Reverting');
