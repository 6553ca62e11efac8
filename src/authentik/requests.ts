/**
 * The generated serialisers of the request bodies the client sends (camelCase in, authentik's snake_case out,
 * dates as ISO strings, free-form `attributes` untouched), each from its own model file. `@goauthentik/api` is
 * CommonJS (its "module" build too), so a bundler cannot drop what is unused: importing from the package root
 * would carry every API class and model (about 2 MB of the bundle, some 40 MB of memory at run time).
 */
export { ApplicationRequestToJSON } from "@goauthentik/api/dist/models/ApplicationRequest.js";
export { FlowRequestToJSON } from "@goauthentik/api/dist/models/FlowRequest.js";
export { GroupRequestToJSON } from "@goauthentik/api/dist/models/GroupRequest.js";
export { OAuth2ProviderRequestToJSON } from "@goauthentik/api/dist/models/OAuth2ProviderRequest.js";
export { PatchedApplicationRequestToJSON } from "@goauthentik/api/dist/models/PatchedApplicationRequest.js";
export { PatchedBrandRequestToJSON } from "@goauthentik/api/dist/models/PatchedBrandRequest.js";
export { PatchedFlowRequestToJSON } from "@goauthentik/api/dist/models/PatchedFlowRequest.js";
export { PatchedGroupRequestToJSON } from "@goauthentik/api/dist/models/PatchedGroupRequest.js";
export { PatchedOAuth2ProviderRequestToJSON } from "@goauthentik/api/dist/models/PatchedOAuth2ProviderRequest.js";
export { PatchedPermissionAssignRequestToJSON } from "@goauthentik/api/dist/models/PatchedPermissionAssignRequest.js";
export { PatchedTokenRequestToJSON } from "@goauthentik/api/dist/models/PatchedTokenRequest.js";
export { PatchedUserRequestToJSON } from "@goauthentik/api/dist/models/PatchedUserRequest.js";
export { PermissionAssignRequestToJSON } from "@goauthentik/api/dist/models/PermissionAssignRequest.js";
export { RoleRequestToJSON } from "@goauthentik/api/dist/models/RoleRequest.js";
export { TokenRequestToJSON } from "@goauthentik/api/dist/models/TokenRequest.js";
export { UserAccountRequestToJSON } from "@goauthentik/api/dist/models/UserAccountRequest.js";
export { UserServiceAccountRequestToJSON } from "@goauthentik/api/dist/models/UserServiceAccountRequest.js";
