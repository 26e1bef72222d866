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
 * reference (Storage, Monitor and Integration categories; the Durable Task Data Contributor id is also
 * the one Azure-Samples/Durable-Task-Scheduler assigns) and, for the Cosmos DB data-plane role,
 * "Configure role-based access control with Microsoft Entra ID for your Azure Cosmos DB account".
 */
const PUBLISHED_ROLES: Readonly<Record<string, string>> = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Delegator': 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402',
  'Cosmos DB Built-in Data Contributor': '00000000-0000-0000-0000-000000000002',
};

interface Assignment {
  principal: string;
  role: string;
  scope: string;
  /** The deployment condition (`if (...)`), or 'always'. */
  condition: string;
}

const app = 'identityPrincipalId';
const user = 'principalId';

/** Every role assignment the deployment may make: who, what, where, when. Anything broader fails the suite. */
const INTENDED_ASSIGNMENTS: Assignment[] = [
  { principal: app, role: 'Storage Blob Data Owner', scope: 'host storage account', condition: 'always' },
  // Durable task hub queues and tables only when the task hub lives in the host account.
  {
    principal: app,
    role: 'Storage Queue Data Contributor',
    scope: 'host storage account',
    condition: 'useStorageBackend',
  },
  {
    principal: app,
    role: 'Storage Table Data Contributor',
    scope: 'host storage account',
    condition: 'useStorageBackend',
  },
  // Sources: read, written by browsers through the user-delegation SAS this identity signs, and refused
  // ones tagged for the lifecycle rule (blob index tags need Owner).
  {
    principal: app,
    role: 'Storage Blob Data Owner',
    scope: 'container unprocessedContainerName of account imagesStorageAccountName',
    condition: 'always',
  },
  {
    principal: app,
    role: 'Storage Blob Delegator',
    scope: 'storage account imagesStorageAccountName',
    condition: 'always',
  },
  {
    principal: app,
    role: 'Storage Blob Data Contributor',
    scope: 'container scratchContainerName of account imagesStorageAccountName',
    condition: 'always',
  },
  {
    principal: app,
    role: 'Storage Blob Data Contributor',
    scope: 'container deadLetterContainerName of account imagesStorageAccountName',
    condition: 'always',
  },
  // Derivatives: written and deleted on their own account.
  {
    principal: app,
    role: 'Storage Blob Data Contributor',
    scope: 'container processedContainerName of account derivativesStorageAccountName',
    condition: 'always',
  },
  {
    principal: app,
    role: 'Monitoring Metrics Publisher',
    scope: 'Application Insights',
    condition: 'always',
  },
  {
    principal: app,
    role: 'Durable Task Data Contributor',
    scope: 'task hub taskHubName of scheduler schedulerName',
    condition: 'useScheduler',
  },
  {
    principal: app,
    role: 'Cosmos DB Built-in Data Contributor',
    scope: 'Cosmos database',
    condition: 'always',
  },
  {
    principal: user,
    role: 'Storage Blob Data Contributor',
    scope: 'container unprocessedContainerName of account imagesStorageAccountName',
    condition: 'withUser',
  },
  {
    principal: user,
    role: 'Storage Blob Data Contributor',
    scope: 'container processedContainerName of account derivativesStorageAccountName',
    condition: 'withUser',
  },
  {
    principal: user,
    role: 'Durable Task Data Contributor',
    scope: 'task hub taskHubName of scheduler schedulerName',
    condition: 'withUser && useScheduler',
  },
  {
    principal: user,
    role: 'Cosmos DB Built-in Data Contributor',
    scope: 'Cosmos database',
    condition: 'withUser',
  },
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

/** The name expression of the resource declared as `symbol` (following `parent:` for child resources). */
function nameOf(symbol: string): string {
  return member(resourceNamed(rolesBicep, symbol).body, 'name');
}

function parentOf(symbol: string): string {
  return member(resourceNamed(rolesBicep, symbol).body, 'parent');
}

/** Describes the resource a role assignment is scoped to, by its type, name and parents' names. */
function describeScope(scopeSymbol: string): string {
  const scope = resourceNamed(rolesBicep, scopeSymbol);
  const name = nameOf(scopeSymbol);
  switch (scope.type) {
    case 'Microsoft.Storage/storageAccounts':
      return name === 'hostStorageAccountName' ? 'host storage account' : `storage account ${name}`;
    case 'Microsoft.Storage/storageAccounts/blobServices/containers': {
      const blobService = parentOf(scopeSymbol);
      expect(nameOf(blobService)).toBe("'default'");
      return `container ${name} of account ${nameOf(parentOf(blobService))}`;
    }
    case 'Microsoft.DurableTask/schedulers/taskHubs':
      return `task hub ${name} of scheduler ${nameOf(parentOf(scopeSymbol))}`;
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

  it('grants exactly the intended roles at the intended scopes, under the intended conditions', () => {
    const actual: Assignment[] = [
      ...azureRbac.map((resource) => {
        const properties = objectMember(resource.body, 'properties');
        return {
          principal: member(properties, 'principalId'),
          role: roleNameByVariable.get(roleFromDefinitionId(member(properties, 'roleDefinitionId'))) ?? '',
          scope: describeScope(member(resource.body, 'scope')),
          condition: resource.condition ?? 'always',
        };
      }),
      ...cosmosRbac.map((resource) => ({
        principal: member(objectMember(resource.body, 'properties'), 'principalId'),
        role: 'Cosmos DB Built-in Data Contributor',
        scope: 'Cosmos database',
        condition: resource.condition ?? 'always',
      })),
    ];
    const key = (a: Assignment) => `${a.principal}|${a.role}|${a.scope}|${a.condition}`;
    expect(actual.map(key).sort()).toEqual(INTENDED_ASSIGNMENTS.map(key).sort());
  });

  it('gives the identity a service-principal type and the deploying user only when one is given', () => {
    for (const resource of azureRbac) {
      const properties = objectMember(resource.body, 'properties');
      if (member(properties, 'principalId') === 'identityPrincipalId') {
        expect(member(properties, 'principalType'), resource.symbol).toBe("'ServicePrincipal'");
        expect(resource.condition ?? 'always', resource.symbol).not.toMatch(/withUser/);
      } else {
        expect(member(properties, 'principalType'), resource.symbol).toBe('principalType');
        expect(resource.condition, resource.symbol).toMatch(/^withUser\b/);
      }
    }
    const declared = variables(rolesBicep);
    expect(declared.get('withUser')?.value).toBe('!empty(principalId)');
    expect(declared.get('useScheduler')?.value).toBe("durableBackend == 'scheduler'");
    expect(declared.get('useStorageBackend')?.value).toBe("durableBackend == 'storage'");
  });

  it('looks up the scheduler and task hub only when they are deployed', () => {
    expect(resourceNamed(rolesBicep, 'scheduler').condition).toBe('useScheduler');
    expect(resourceNamed(rolesBicep, 'taskHub').condition).toBe('useScheduler');
    expect(resourceNamed(rolesBicep, 'taskHub').type).toBe('Microsoft.DurableTask/schedulers/taskHubs');
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
