import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import {
  arrayItems,
  member,
  objectMember,
  objectPath,
  parameters,
  readRepoFile,
  resourceNamed,
  resourcesOfType,
  stringLiteral,
  variables,
} from './bicep';

const mainBicep = readRepoFile('infra/main.bicep');
const codeDefaults = loadSettings({
  IMAGES_STORAGE: 'UseDevelopmentStorage=true',
  COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
  COSMOS__key: 'emulator',
});

function mainVariable(name: string): string {
  const value = variables(mainBicep).get(name)?.value ?? '';
  return stringLiteral(value) ?? value;
}

function moduleParams(symbol: string): string {
  const module = new RegExp(`module ${symbol} '[^']+' = \\{([\\s\\S]*?)\\n\\}`).exec(mainBicep)?.[1];
  if (module === undefined) throw new Error(`No module ${symbol} in main.bicep`);
  return objectMember(module, 'params');
}

describe('names shared with the code', () => {
  it('creates the containers, database and container the code uses by default', () => {
    expect(mainVariable('unprocessedContainerName')).toBe(codeDefaults.unprocessedContainer);
    expect(mainVariable('processedContainerName')).toBe(codeDefaults.processedContainer);
    expect(mainVariable('cosmosDatabaseName')).toBe(codeDefaults.cosmos.database);
    expect(mainVariable('cosmosContainerName')).toBe(codeDefaults.cosmos.container);
    expect(arrayItems(member(moduleParams('imagesStorage'), 'containers'))).toEqual([
      'unprocessedContainerName',
      'processedContainerName',
      'deadLetterContainerName',
    ]);
    expect(arrayItems(member(moduleParams('hostStorage'), 'containers'))).toEqual([
      'deploymentContainerName',
    ]);
    expect(member(moduleParams('cosmos'), 'databaseName')).toBe('cosmosDatabaseName');
    expect(member(moduleParams('cosmos'), 'containerName')).toBe('cosmosContainerName');
  });
});

describe('storage', () => {
  const storage = readRepoFile('infra/app/storage.bicep');
  const account = resourceNamed(storage, 'account');
  const properties = objectMember(account.body, 'properties');

  it('accepts Entra ID only: no shared key, no anonymous blobs, TLS 1.2, HTTPS', () => {
    expect(member(properties, 'allowSharedKeyAccess')).toBe('false');
    expect(member(properties, 'defaultToOAuthAuthentication')).toBe('true');
    expect(member(properties, 'allowBlobPublicAccess')).toBe('false');
    expect(member(properties, 'minimumTlsVersion')).toBe("'TLS1_2'");
    expect(member(properties, 'supportsHttpsTrafficOnly')).toBe('true');
  });

  it('creates private containers only, and both accounts through this one module', () => {
    const containers = resourceNamed(storage, 'blobContainers');
    expect(member(objectMember(containers.body, 'properties'), 'publicAccess')).toBe("'None'");
    expect(resourcesOfType(mainBicep, 'Microsoft.Storage/storageAccounts')).toEqual([]);
    expect(mainBicep.match(/module \w+ 'app\/storage\.bicep'/g)).toHaveLength(2);
  });
});

describe('Cosmos DB', () => {
  const cosmos = readRepoFile('infra/app/cosmos.bicep');
  const accountProperties = objectMember(resourceNamed(cosmos, 'account').body, 'properties');
  const container = objectPath(resourceNamed(cosmos, 'container').body, 'properties', 'resource');

  it('has local (key) auth disabled and runs serverless', () => {
    expect(member(accountProperties, 'disableLocalAuth')).toBe('true');
    expect(member(accountProperties, 'disableKeyBasedMetadataWriteAccess')).toBe('true');
    expect(member(accountProperties, 'capabilities')).toBe("[{ name: 'EnableServerless' }]");
  });

  it('partitions the container by /id, as documents are addressed by id', () => {
    expect(arrayItems(member(objectMember(container, 'partitionKey'), 'paths'))).toEqual(["'/id'"]);
  });

  it('indexes the scalar fields and not the variant and error arrays', () => {
    const policy = objectMember(container, 'indexingPolicy');
    expect(arrayItems(member(policy, 'includedPaths'))).toEqual(["{ path: '/*' }"]);
    const excluded = arrayItems(member(policy, 'excludedPaths'));
    expect(excluded).toEqual(expect.arrayContaining(["{ path: '/variants/*' }", "{ path: '/errors/*' }"]));
  });
});

describe('monitoring', () => {
  const monitoring = readRepoFile('infra/app/monitoring.bicep');

  it('accepts telemetry with Entra auth only', () => {
    const insights = objectMember(resourceNamed(monitoring, 'applicationInsights').body, 'properties');
    expect(member(insights, 'DisableLocalAuth')).toBe('true');
    expect(member(insights, 'WorkspaceResourceId')).toBe('logAnalytics.id');
  });
});

describe('function app', () => {
  const functionApp = readRepoFile('infra/app/function-app.bicep');
  const plan = resourceNamed(functionApp, 'plan');
  const site = resourceNamed(functionApp, 'functionApp');
  const config = objectPath(site.body, 'properties', 'functionAppConfig');

  it('runs on a Linux Flex Consumption (FC1) plan', () => {
    expect(objectMember(plan.body, 'sku')).toMatch(/name: 'FC1'/);
    expect(objectMember(plan.body, 'sku')).toMatch(/tier: 'FlexConsumption'/);
    expect(member(objectMember(plan.body, 'properties'), 'reserved')).toBe('true');
    expect(member(site.body, 'kind')).toBe("'functionapp,linux'");
  });

  it('runs Node 20 or 22, 22 by default', () => {
    expect(objectMember(config, 'runtime')).toMatch(/name: 'node', version: nodeVersion/);
    for (const file of [functionApp, mainBicep]) {
      expect(file).toMatch(
        /@allowed\(\['20', '22'\]\)\s*(?:@description\([^\n]*\)\s*)?param nodeVersion string/,
      );
    }
    expect(parameters(mainBicep).get('nodeVersion')?.value).toBe("'22'");
  });

  it('takes instance memory and maximum instances as parameters (2048 MB by default)', () => {
    const scale = objectMember(config, 'scaleAndConcurrency');
    expect(member(scale, 'instanceMemoryMB')).toBe('instanceMemoryMB');
    expect(member(scale, 'maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(parameters(mainBicep).get('instanceMemoryMB')?.value).toBe('2048');
    expect(Number(parameters(mainBicep).get('maximumInstanceCount')?.value)).toBeGreaterThan(0);
  });

  it('reads its package from the host account with the user-assigned identity', () => {
    const storage = objectPath(config, 'deployment', 'storage');
    expect(member(storage, 'type')).toBe("'blobContainer'");
    expect(member(storage, 'value')).toBe(
      "'${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'",
    );
    const authentication = objectMember(storage, 'authentication');
    expect(member(authentication, 'type')).toBe("'UserAssignedIdentity'");
    expect(member(authentication, 'userAssignedIdentityResourceId')).toBe('identityId');
  });

  it('is tagged as the azd service `api`, HTTPS only, without basic publishing credentials', () => {
    expect(member(site.body, 'tags')).toBe("union(tags, { 'azd-service-name': 'api' })");
    expect(member(objectMember(site.body, 'properties'), 'httpsOnly')).toBe('true');
    const policies = resourcesOfType(functionApp, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect(policies.map((policy) => member(policy.body, 'name')).sort()).toEqual(["'ftp'", "'scm'"]);
    for (const policy of policies) expect(objectMember(policy.body, 'properties')).toMatch(/allow: false/);
  });
});

describe('resource group and identity', () => {
  it('deploys at subscription scope into one tagged resource group', () => {
    expect(mainBicep).toMatch(/^targetScope = 'subscription'$/m);
    expect(variables(mainBicep).get('tags')?.value).toBe("{ 'azd-env-name': environmentName }");
    expect(member(resourceNamed(mainBicep, 'rg').body, 'tags')).toBe('tags');
    for (const name of ['environmentName', 'location', 'principalId'])
      expect(parameters(mainBicep).has(name)).toBe(true);
  });

  it('creates exactly one managed identity, user-assigned, and gives it to the app and the topic', () => {
    const identityModules = mainBicep.match(/module \w+ 'app\/identity\.bicep'/g);
    expect(identityModules).toHaveLength(1);
    expect(member(moduleParams('functionApp'), 'identityId')).toBe('identity.outputs.id');
    expect(member(moduleParams('eventGridTopic'), 'identityId')).toBe('identity.outputs.id');
    expect(member(moduleParams('roles'), 'identityPrincipalId')).toBe('identity.outputs.principalId');
    expect(mainBicep).not.toMatch(/SystemAssigned/);
  });
});

describe('Event Grid system topic', () => {
  const topic = resourceNamed(readRepoFile('infra/app/eventgrid-topic.bicep'), 'systemTopic');

  it('sources Blob Storage events from the images account and carries the user-assigned identity', () => {
    const properties = objectMember(topic.body, 'properties');
    expect(member(properties, 'topicType')).toBe("'Microsoft.Storage.StorageAccounts'");
    expect(member(properties, 'source')).toBe('imagesAccount.id');
    expect(member(objectMember(topic.body, 'identity'), 'type')).toBe("'UserAssigned'");
    expect(member(moduleParams('eventGridTopic'), 'storageAccountName')).toBe('imagesStorage.outputs.name');
  });
});
