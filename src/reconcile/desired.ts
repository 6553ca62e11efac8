/** What a target asks for in authentik, and the values provisioning hands back for its output file. */
import type { DesiredApplication } from "../authentik/resources/application.ts";
import type { DesiredDeviceFlow } from "../authentik/resources/device-flow.ts";
import type { DesiredProvider } from "../authentik/resources/provider.ts";
import type { WireBrand, WireGroup } from "../authentik/wire.ts";

export interface DesiredState {
  provider: DesiredProvider;
  application: DesiredApplication;
  serviceAccount: { username: string };
  adminGroup: WireGroup;
  deviceFlow: DesiredDeviceFlow;
  replaceDeviceFlow: boolean;
  /** Host of the public authentik URL: picks the brand whose device flow users will see. */
  publicHost: string;
  brands: readonly WireBrand[];
}

export interface Provisioned {
  clientId: string;
  username: string;
  appPassword: string;
}
