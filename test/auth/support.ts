/** An `x-ms-client-principal` value as App Service authentication sends it for an Entra ID sign-in. */
export function principalHeader(
  options: { objectId?: string; roles?: string[]; name?: string } = {},
): string {
  const claims = [
    {
      typ: 'http://schemas.microsoft.com/identity/claims/tenantid',
      val: '72f988bf-86f1-41af-91ab-2d7cd011db47',
    },
    ...(options.objectId === undefined
      ? []
      : [{ typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: options.objectId }]),
    { typ: 'name', val: options.name ?? 'Ada Lovelace' },
    ...(options.roles ?? []).map((role) => ({ typ: 'roles', val: role })),
  ];
  const principal = { auth_typ: 'aad', name_typ: 'name', role_typ: 'roles', claims };
  return Buffer.from(JSON.stringify(principal)).toString('base64');
}

export const USER_OID = '4b1c7e0a-2f0d-4c43-9a55-0d3c6b1e9f21';
