/**
 * Carries out a plan: the only place that sets the order of writes. Three independent chains run in
 * parallel — provider → application, service account → app password → membership, device flow → brand —
 * each in its fixed order. Returns the values the output file needs.
 */
import type { AuthentikClient } from "../authentik/client.ts";
import { createApplicationBody } from "../authentik/resources/application.ts";
import { createFlowBody } from "../authentik/resources/device-flow.ts";
import { createBody } from "../authentik/resources/provider.ts";
import { createAppPasswordBody, createServiceAccountBody } from "../authentik/resources/service-account.ts";
import type { WireOAuth2Provider, WireUser } from "../authentik/wire.ts";
import type { Logger } from "../log.ts";
import type { DesiredState, Provisioned } from "./desired.ts";
import type { Observed } from "./observe.ts";
import type { Plan } from "./plan.ts";
import { DONE, type Step } from "./types.ts";

function done(log: Logger, step: Step): void {
  log.info({ kind: step.kind, name: step.name, action: DONE[step.action], fields: step.changes.map((c) => c.field) }, `${step.kind} '${step.name}' ${DONE[step.action]}`);
}

async function applyProviderChain(client: AuthentikClient, d: DesiredState, o: Observed, p: Plan, log: Logger): Promise<WireOAuth2Provider> {
  let provider: WireOAuth2Provider;
  if (p.provider.step.action === "create") provider = await client.createOAuth2Provider(createBody(d.provider));
  else if (p.provider.step.action === "update") provider = await client.patchOAuth2Provider(o.provider!, p.provider.patch!);
  else provider = o.provider!;
  done(log, p.provider.step);

  if (p.application.step.action === "create") await client.createApplication(createApplicationBody(d.application, provider.pk));
  else if (p.application.step.action === "update") await client.patchApplication(d.application.slug, { provider: provider.pk });
  done(log, p.application.step);
  return provider;
}

async function applyAccountChain(client: AuthentikClient, d: DesiredState, o: Observed, p: Plan, log: Logger): Promise<{ user: WireUser; appPassword: string }> {
  let user = o.user;
  let appPassword: string | undefined;
  if (p.serviceAccount.step.action === "create") {
    const created = await client.createServiceAccount(createServiceAccountBody(d.serviceAccount.username));
    user = { pk: created.user_pk, username: created.username, type: "service_account" };
    appPassword = created.token;
  }
  done(log, p.serviceAccount.step);
  if (!user) throw new Error("service account missing after apply");

  if (appPassword === undefined) {
    if (p.appPassword.step.action === "create") await client.createToken(createAppPasswordBody(o.tokenIdentifier, user));
    else if (p.appPassword.step.action === "update") await client.patchToken(o.tokenIdentifier, p.appPassword.patch!);
    appPassword = await client.viewTokenKey(o.tokenIdentifier);
  }
  done(log, p.appPassword.step);

  if (p.membership.step.action !== "noop") await client.addUserToGroup(d.adminGroup, user);
  done(log, p.membership.step);
  return { user, appPassword };
}

async function applyDeviceChain(client: AuthentikClient, d: DesiredState, o: Observed, p: Plan, log: Logger): Promise<void> {
  let flowPk = o.deviceFlow?.pk;
  if (p.deviceFlow.step.action === "create") flowPk = (await client.createFlow(createFlowBody(d.deviceFlow))).pk;
  else if (p.deviceFlow.step.action === "update") await client.patchFlow(d.deviceFlow.slug, p.deviceFlow.patch!);
  done(log, p.deviceFlow.step);
  if (p.brand.step.action === "update" && o.brand && flowPk) await client.patchBrand(o.brand, { flowDeviceCode: flowPk });
  done(log, p.brand.step);
}

export async function apply(client: AuthentikClient, desired: DesiredState, observed: Observed, p: Plan, logger: Logger): Promise<Provisioned> {
  const log = logger.child({ step: "apply" });
  const results = await Promise.allSettled([
    applyProviderChain(client, desired, observed, p, log),
    applyAccountChain(client, desired, observed, p, log),
    applyDeviceChain(client, desired, observed, p, log),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  const [provider, account] = results as [PromiseFulfilledResult<WireOAuth2Provider>, PromiseFulfilledResult<{ user: WireUser; appPassword: string }>, unknown];
  return { clientId: provider.value.client_id, username: account.value.user.username, appPassword: account.value.appPassword };
}

/** Plan mode: the values as they are now, if every object exists (reads only). */
export async function currentValues(client: AuthentikClient, observed: Observed): Promise<Provisioned | undefined> {
  if (!observed.provider || !observed.user || !observed.token) return undefined;
  return { clientId: observed.provider.client_id, username: observed.user.username, appPassword: await client.viewTokenKey(observed.tokenIdentifier) };
}
