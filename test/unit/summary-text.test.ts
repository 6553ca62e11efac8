import { describe, expect, it } from "vitest";
import { summaryText } from "../../src/summary-text.ts";

describe("the summary for a person at a terminal", () => {
  it.each([
    [
      {
        mode: "apply",
        result: "ok",
        exitCode: 0,
        created: ["a"],
        updated: ["b"],
        unchanged: ["c", "d"],
        output: { file: "/output/setup.env", written: true },
        requests: 27,
        writes: 6,
        durationMs: 412,
      },
      "✓ done in 0.4 s: 1 created, 1 updated, 2 unchanged; /output/setup.env written (exit 0).\n  27 requests to authentik, 6 of them writes.",
    ],
    [
      { mode: "plan", result: "changes-pending", exitCode: 2, created: ["a"], updated: [], unchanged: [], requests: 16, writes: 0, durationMs: 100 },
      "~ plan: changes are pending (exit 2); nothing was written.\n  16 requests to authentik, 0 of them writes.",
    ],
    [{ mode: "plan", result: "ok", exitCode: 0, durationMs: 100 }, "✓ plan: nothing to change (exit 0)."],
    [
      { mode: "apply", result: "error", exitCode: 4, error: { type: "NotReadyError", message: "x" }, durationMs: 300_000 },
      "✗ apply failed after 300.0 s: exit 4 (notReady); the error is above.",
    ],
  ] as const)("%j", (summary, expected) => {
    expect(summaryText(summary as never)).toBe(expected);
  });

  it("says what to restart, and until when the previous credential works", () => {
    const text = summaryText({
      mode: "apply",
      result: "ok",
      exitCode: 0,
      durationMs: 1000,
      rotated: [{ kind: "app-password", credential: "app password of 'NetBird'", previousValidUntil: "2026-11-27T17:00:00.000Z" }],
      restart: [
        { services: ["management"], command: "docker compose up -d --force-recreate management", directory: "/netbird/artifacts", reason: "r", before: "2026-11-27T17:00:00.000Z" },
      ],
    });
    expect(text).toContain("rotated: app password of 'NetBird' (the previous one works until 2026-11-27T17:00:00.000Z)");
    expect(text).toContain("restart: docker compose up -d --force-recreate management (in /netbird/artifacts), before 2026-11-27T17:00:00.000Z");
  });
});
