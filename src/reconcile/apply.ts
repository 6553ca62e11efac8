/**
 * Carries out a plan: the only place that sets the order of writes. Three independent chains run in
 * parallel — provider → application, service account → app password → membership → cleanup, device flow →
 * brand — each in its fixed order. Returns the values the output file needs and what was rotated.
 */
import { randomBytes } from "node:crypto";
import type { AuthentikClient } from "../authentik/client.ts";
import { createApplicationBody, diffApplication } from "../authentik/resources/application.ts";
import { createFlowBody, diffFlow } from "../authentik/resources/device-flow.ts";
import { createBody, diffProvider } from "../authentik/resources/provider.ts";
import {
  createAppPasswordBody,
  createServiceAccountBody,
  diffAppPassword,
  lifetimeForGrace,
  observeAppPassword,
  observeServiceAccount,
  retireBody,
} from "../authentik/resources/service-account.ts";
import type { WireOAuth2Provider, WireUser } from "../authentik/wire.ts";
import { ApiError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { registerSecret } from "../secrets.ts";
import { RETIRED_INFIX, type DesiredState, type Provisioned, type Rotation } from "./desired.ts";
import type { Observed } from "./observe.ts";
import type { Plan } from "./plan.ts";
import { DONE, type Step } from "./types.ts";

export interface Applied {
  values: Provisioned;
  rotated: Rotation[];
  /** The provider as applied (for verification, without another request). */
  provider: WireOAuth2Provider;
}

const LOST_ANSWER = new Set([0, 502, 503, 504]);

/**
 * Create, or — when authentik answers 400 because the object appeared meanwhile (a concurrent run), or the
 * answer was lost (connection dropped, timeout, 5xx from a proxy) and the create may or may not have happened —
 * look it up by its natural key and continue with it. Only if it is not there is the create tried again, so a
 * retried create never duplicates.
 */
async function createOrAdopt<T>(create: () => Promise<T>, find: () => Promise<T | undefined>, log: Logger, what: string, attempts = 4): Promise<{ value: T; adopted: boolean }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await create(), adopted: false };
    } catch (error) {
      const lost = error instanceof ApiError && LOST_ANSWER.has(error.status);
      if (!(error instanceof ApiError) || (error.status !== 400 && !lost)) throw error;
      const existing = await find();
      if (existing !== undefined) {
        log.info(
          { what, attempt },
          lost ? `${what}: the answer to its creation was lost; found it, continuing with it` : `${what} appeared while creating it (another run?); adopting it`,
        );
        return { value: existing, adopted: true };
      }
      if (!lost || attempt >= attempts) throw error;
      log.warn({ what, attempt, err: error.message }, `${what}: creation failed in transit and it does not exist; trying again`);
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

function done(log: Logger, step: Step): void {
  log.info({ kind: step.kind, name: step.name, action: DONE[step.action], fields: step.changes.map((c) => c.field) }, `${step.kind} '${step.name}' ${DONE[step.action]}`);
}

/** authentik-style secret: 128 characters from [A-Za-z0-9]. */
function newSecret(length = 128): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = randomBytes(length * 2);
  let out = "";
  for (const b of bytes) {
    if (b < 248) out += alphabet[b % 62];
    if (out.length === length) break;
  }
  return out;
}

async function applyProviderChain(client: AuthentikClient, d: DesiredState, o: Observed, p: Plan, log: Logger, rotated: Rotation[]): Promise<WireOAuth2Provider> {
  let provider: WireOAuth2Provider;
  if (p.provider.step.action === "create") {
    const r = await createOrAdopt(
      () => client.createOAuth2Provider(createBody(d.provider)),
      () => client.findOAuth2Provider(d.provider.name),
      log,
      `OAuth2 provider '${d.provider.name}'`,
    );
    provider = r.value;
    const { changes, patch } = diffProvider(d.provider, provider);
    if (r.adopted && changes.length) provider = await client.patchOAuth2Provider(provider, patch);
  } else if (p.provider.step.action === "update") {
    const patch = { ...p.provider.patch };
    if (patch.clientSecret !== undefined) {
      patch.clientSecret = newSecret();
      registerSecret(patch.clientSecret);
      rotated.push({ credential: `client secret of '${d.provider.name}'`, previousValidUntil: null });
    }
    provider = await client.patchOAuth2Provider(o.provider!, patch);
  } else provider = o.provider!;
  done(log, p.provider.step);

  if (p.application.step.action === "create") {
    const r = await createOrAdopt(
      () => client.createApplication(createApplicationBody(d.application, provider.pk)),
      () => client.findApplication(d.application.slug),
      log,
      `application '${d.application.slug}'`,
    );
    if (r.adopted && diffApplication(r.value, provider.pk, d.provider.name).changes.length) await client.patchApplication(d.application.slug, { provider: provider.pk });
  } else if (p.application.step.action === "update") await client.patchApplication(d.application.slug, { provider: provider.pk });
  done(log, p.application.step);
  return provider;
}

async function applyAccountChain(
  client: AuthentikClient,
  d: DesiredState,
  o: Observed,
  p: NonNullable<Plan["account"]>,
  log: Logger,
  rotated: Rotation[],
): Promise<{ user: WireUser; appPassword: string }> {
  const username = d.serviceAccount!.username;
  const id = o.tokenIdentifier;
  let user = o.user;
  let appPassword: string | undefined;
  if (p.serviceAccount.step.action === "create") {
    const r = await createOrAdopt<WireUser & { token?: string }>(
      async () => {
        const created = await client.createServiceAccount(createServiceAccountBody(username));
        return { pk: created.user_pk, username: created.username, type: "service_account", token: created.token };
      },
      () => observeServiceAccount(client, username),
      log,
      `service account '${username}'`,
    );
    user = { pk: r.value.pk, username: r.value.username, type: "service_account" };
    appPassword = r.value.token;
  }
  done(log, p.serviceAccount.step);
  if (!user) throw new Error("service account missing after apply");
  const account = user;

  if (appPassword === undefined) {
    // Re-observe when the account was adopted mid-run: its token may exist already.
    const token = p.serviceAccount.step.action === "create" ? await observeAppPassword(client, id, account) : o.token;
    if (token && d.rotate.appPassword) {
      // Rotation: the current token is renamed and expires after the grace period; a new one takes its name.
      // The expiry is counted on authentik's clock, which decides when the old password stops working.
      const validUntil = new Date(client.serverNow() + d.rotate.graceMs);
      const retired = `${id}${RETIRED_INFIX}${validUntil
        .toISOString()
        .replace(/[-:.TZ]/g, "")
        .slice(0, 14)}`;
      const lifetime = lifetimeForGrace(account, d.rotate.graceMs, d.features);
      if (lifetime) await client.patchUser(account, lifetime.patch);
      await client.patchToken(id, retireBody(account, retired, validUntil));
      await createAppPassword(client, id, account, log);
      rotated.push({ credential: `app password of '${username}'`, previousValidUntil: validUntil.toISOString() });
    } else if (!token) {
      await createAppPassword(client, id, account, log);
    } else if (diffAppPassword(token, account).changes.length) {
      await client.patchToken(id, diffAppPassword(token, account).patch);
    }
    // The key read while observing is still valid unless this run created or rotated the token.
    const unchangedToken = token !== undefined && token === o.token && !d.rotate.appPassword;
    appPassword = unchangedToken && o.key !== undefined ? o.key : await client.viewTokenKey(id);
  }
  done(log, p.appPassword.step);

  if (p.membership.step.action !== "noop") await client.addUserToGroup(d.adminGroup!, account);
  done(log, p.membership.step);

  for (const t of o.expiredRetired) await client.deleteToken(t.identifier);
  done(log, p.cleanup.step);
  return { user: account, appPassword };
}

/** Create the app password, or adopt the one a concurrent run made meanwhile. */
async function createAppPassword(client: AuthentikClient, id: string, account: WireUser, log: Logger): Promise<void> {
  await createOrAdopt(
    () => client.createToken(createAppPasswordBody(id, account)),
    () => observeAppPassword(client, id, account),
    log,
    `app password '${id}'`,
  );
}

async function applyDeviceChain(client: AuthentikClient, d: DesiredState, o: Observed, p: NonNullable<Plan["device"]>, log: Logger): Promise<void> {
  const flow = d.deviceFlow!;
  let flowPk = o.deviceFlow?.pk;
  if (p.deviceFlow.step.action === "create") {
    const r = await createOrAdopt(
      () => client.createFlow(createFlowBody(flow)),
      () => client.findFlow(flow.slug),
      log,
      `flow '${flow.slug}'`,
    );
    flowPk = r.value.pk;
    const { changes, patch } = diffFlow(r.value);
    if (r.adopted && changes.length) await client.patchFlow(flow.slug, patch);
  } else if (p.deviceFlow.step.action === "update") await client.patchFlow(flow.slug, p.deviceFlow.patch!);
  done(log, p.deviceFlow.step);
  if (p.brand.step.action === "update" && o.brand && flowPk) await client.patchBrand(o.brand, { flowDeviceCode: flowPk });
  done(log, p.brand.step);
}

export async function apply(client: AuthentikClient, desired: DesiredState, observed: Observed, p: Plan, logger: Logger): Promise<Applied> {
  const log = logger.child({ step: "apply" });
  const rotated: Rotation[] = [];
  const results = await Promise.allSettled([
    applyProviderChain(client, desired, observed, p, log, rotated),
    p.account ? applyAccountChain(client, desired, observed, p.account, log, rotated) : Promise.resolve(undefined),
    p.device ? applyDeviceChain(client, desired, observed, p.device, log) : Promise.resolve(undefined),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  const [provider, account] = results as [PromiseFulfilledResult<WireOAuth2Provider>, PromiseFulfilledResult<{ user: WireUser; appPassword: string } | undefined>, unknown];
  const values: Provisioned = { clientId: provider.value.client_id };
  if (desired.provider.clientType === "confidential") values.clientSecret = provider.value.client_secret;
  if (account.value) {
    values.username = account.value.user.username;
    values.appPassword = account.value.appPassword;
  }
  return { values, rotated, provider: provider.value };
}

/**
 * Plan mode: the values as they are now, if every object exists (reads only). The app password is not read
 * (authentik would record a `secret_view` event): the output file's value stands in for it.
 */
export function currentValues(desired: DesiredState, observed: Observed, fromFile: Partial<Provisioned>): Provisioned | undefined {
  if (!observed.provider) return undefined;
  const values: Provisioned = { clientId: observed.provider.client_id };
  if (desired.provider.clientType === "confidential") values.clientSecret = observed.provider.client_secret;
  if (desired.serviceAccount) {
    if (!observed.user || !observed.token) return undefined;
    values.username = observed.user.username;
    values.appPassword = fromFile.appPassword ?? "";
  }
  return values;
}
