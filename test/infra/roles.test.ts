import { describe, expect, it } from 'vitest';
import {
  callArguments,
  infraFiles,
  member,
  objectMember,
  readRepoFile,
  resourceNamed,
  resources,
  resourcesOfType,
  variables,
} from './bicep';

/**
 * Built-in roles by their published names and ids, as listed in Microsoft's "Azure built-in roles"
 * reference (Storage and Monitor categories) and, for the Cosmos DB data-plane role, "Configure
 * role-based access control with Microsoft Entra ID for your Azure Cosmos DB account".
 */
const PUBLISHED_ROLES: Readonly<Record<string, string>> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002',
};

/** Every role assignment the deployment may make: who, what, where. Anything broader fails the suite. */
const INTENDED_ASSIGNMENTS = [
  { principal: 'identityPrincipalId', role: 'Storage Blob Data Owner', scope: 'host storage account' },
  { principal: 'identityPrincipalId', role: 'Storage Queue Data Contributor', scope: 'host storage account' },
  { principal: 'identityPrincipalId', role: 'Storage Table Data Contributor', scope: 'host storage account' },
  {
    principal: 'identityPrincipalId',
    role: 'Storage Blob Data Reader',
    scope: 'container unprocessedContainerName',
  },
  {
    principal: 'identityPrincipalId',
    role: 'Storage Blob Data Contributor',
    scope: 'container processedContainerName',
  },
  {
    principal: 'identityPrincipalId',
    role: 'Storage Blob Data Contributor',
    scope: 'container deadLetterContainerName',
  },
  { principal: 'identityPrincipalId', role: 'Monitoring Metrics Publisher', scope: 'Application Insights' },
  { principal: 'identityPrincipalId', role: 'Cosmos DB Built-in Data Contributor', scope: 'Cosmos database' },
  {
    principal: 'principalId',
    role: 'Storage Blob Data Contributor',
    scope: 'container unprocessedContainerName',
  },
  {
    principal: 'principalId',
    role: 'Storage Blob Data Contributor',
    scope: 'container processedContainerName',
  },
  { principal: 'principalId', role: 'Cosmos DB Built-in Data Contributor', scope: 'Cosmos database' },
];

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const rolesBicep = readRepoFile('infra/app/roles.bicep');
const roleVariables = [...variables(rolesBicep)].filter(([, declaration]) =>
  /^'[0-9a-f-]{36}'$/i.test(declaration.value),
);
const roleNameByVariable = new Map(
  roleVariables.map(([name, declaration]) => {
    const guid = declaration.value.replace(/'/g, '');
    const published = Object.entries(PUBLISHED_ROLES).find(([, id]) => id === guid);
    return [name, published?.[0] ?? `unknown role ${guid}`];
  }),
);

/** Describes the resource a role assignment is scoped to, by its type and the name it is given. */
function describeScope(scopeSymbol: string): string {
  const scope = resourceNamed(rolesBicep, scopeSymbol);
  const name = member(scope.body, 'name');
  switch (scope.type) {
    case 'Microsoft.Storage/storageAccounts':
      return name === 'hostStorageAccountName' ? 'host storage account' : `storage account ${name}`;
    case 'Microsoft.Storage/storageAccounts/blobServices/containers':
      return `container ${name}`;
    case 'Microsoft.Insights/components':
      return 'Application Insights';
    default:
      return `${scope.type} ${name}`;
  }
}

function roleFromDefinitionId(definitionId: string): string {
  const args = callArguments(definitionId, 'subscriptionResourceId');
  expect(args?.[0], definitionId).toBe("'Microsoft.Authorization/roleDefinitions'");
  return args?.[1] ?? '';
}

describe('role definition ids', () => {
  it.each(roleVariables)(
    '%s names its role in a comment that matches the published id',
    (_name, declaration) => {
      const guid = declaration.value.replace(/'/g, '');
      const publishedName = declaration.comment.at(-1)?.replace(/\s*\(.*\)$/, '');
      expect(publishedName, `comment above the variable holding ${guid}`).toBeDefined();
      expect(PUBLISHED_ROLES[publishedName ?? '']).toBe(guid);
    },
  );

  it('declares every role it assigns and nothing unknown anywhere in infra/', () => {
    expect([...roleNameByVariable.values()].sort()).toEqual(Object.keys(PUBLISHED_ROLES).sort());
    const known = new Set(Object.values(PUBLISHED_ROLES));
    for (const file of infraFiles()) {
      for (const guid of readRepoFile(file).match(GUID) ?? []) {
        expect(known.has(guid.toLowerCase()), `${guid} in ${file}`).toBe(true);
      }
    }
  });
});

describe('role assignments', () => {
  const azureRbac = resourcesOfType(rolesBicep, 'Microsoft.Authorization/roleAssignments');
  const cosmosRbac = resourcesOfType(rolesBicep, 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments');

  it.each(azureRbac.map((resource) => [resource.symbol, resource] as const))(
    '%s is named guid(scope, principal, role) after its own scope, principal and role',
    (_symbol, resource) => {
      const properties = objectMember(resource.body, 'properties');
      const args = callArguments(member(resource.body, 'name'), 'guid');
      expect(args).toEqual([
        `${member(resource.body, 'scope')}.id`,
        member(properties, 'principalId'),
        roleFromDefinitionId(member(properties, 'roleDefinitionId')),
      ]);
    },
  );

  it.each(cosmosRbac.map((resource) => [resource.symbol, resource] as const))(
    '%s is named guid(scope, principal, role) and scoped to the database, not the account',
    (_symbol, resource) => {
      const properties = objectMember(resource.body, 'properties');
      const args = callArguments(member(resource.body, 'name'), 'guid');
      expect(args).toEqual([
        member(properties, 'scope'),
        member(properties, 'principalId'),
        member(properties, 'roleDefinitionId'),
      ]);
      const declared = variables(rolesBicep);
      expect(declared.get(member(properties, 'scope'))?.value).toBe(
        "'${cosmos.id}/dbs/${cosmosDatabaseName}'",
      );
      expect(declared.get(member(properties, 'roleDefinitionId'))?.value).toBe(
        "'${cosmos.id}/sqlRoleDefinitions/${cosmosDbBuiltInDataContributor}'",
      );
    },
  );

  it('grants exactly the intended roles at the intended scopes', () => {
    const actual = [
      ...azureRbac.map((resource) => {
        const properties = objectMember(resource.body, 'properties');
        return {
          principal: member(properties, 'principalId'),
          role: roleNameByVariable.get(roleFromDefinitionId(member(properties, 'roleDefinitionId'))),
          scope: describeScope(member(resource.body, 'scope')),
        };
      }),
      ...cosmosRbac.map((resource) => ({
        principal: member(objectMember(resource.body, 'properties'), 'principalId'),
        role: 'Cosmos DB Built-in Data Contributor',
        scope: 'Cosmos database',
      })),
    ];
    const key = (a: { principal: string; role?: string; scope: string }) =>
      `${a.principal}|${a.role}|${a.scope}`;
    expect(actual.map(key).sort()).toEqual(INTENDED_ASSIGNMENTS.map(key).sort());
  });

  it('gives the identity a service-principal type and the deploying user only when one is given', () => {
    for (const resource of azureRbac) {
      const properties = objectMember(resource.body, 'properties');
      if (member(properties, 'principalId') === 'identityPrincipalId') {
        expect(member(properties, 'principalType'), resource.symbol).toBe("'ServicePrincipal'");
        expect(resource.condition, resource.symbol).toBeUndefined();
      } else {
        expect(member(properties, 'principalType'), resource.symbol).toBe('principalType');
        expect(resource.condition, resource.symbol).toBe('withUser');
      }
    }
    expect(variables(rolesBicep).get('withUser')?.value).toBe('!empty(principalId)');
  });

  it('makes no role assignment outside roles.bicep (one place to review)', () => {
    for (const file of infraFiles().filter(
      (path) => path.endsWith('.bicep') && !path.endsWith('roles.bicep'),
    )) {
      const assignments = resources(readRepoFile(file)).filter((resource) =>
        /roleAssignments$/i.test(resource.type),
      );
      expect(
        assignments.map((resource) => resource.symbol),
        file,
      ).toEqual([]);
    }
  });
});
