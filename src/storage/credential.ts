import type { TokenCredential } from '@azure/identity';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import type { IdentityCredential } from '../config/settings';

/** Which Entra credential a `{prefix}__credential` / `{prefix}__clientId` pair asks for. */
export type CredentialPlan =
  | { kind: 'managedIdentity'; clientId: string | undefined }
  | { kind: 'default'; managedIdentityClientId: string | undefined };

/**
 * `__credential=managedidentity` means exactly that (a user-assigned identity when `__clientId` is set, else the
 * system-assigned one), as the Functions host reads identity-based connections. Without it we fall back to
 * DefaultAzureCredential, so a developer's `az login` works too; a client id still pins the managed identity.
 */
export function credentialPlanFor(identity: IdentityCredential): CredentialPlan {
  return identity.managedIdentity
    ? { kind: 'managedIdentity', clientId: identity.clientId }
    : { kind: 'default', managedIdentityClientId: identity.clientId };
}

export function createCredential(identity: IdentityCredential): TokenCredential {
  const plan = credentialPlanFor(identity);
  if (plan.kind === 'managedIdentity') {
    return plan.clientId === undefined
      ? new ManagedIdentityCredential()
      : new ManagedIdentityCredential({ clientId: plan.clientId });
  }
  return plan.managedIdentityClientId === undefined
    ? new DefaultAzureCredential()
    : new DefaultAzureCredential({ managedIdentityClientId: plan.managedIdentityClientId });
}
