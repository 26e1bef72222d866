import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/settings';
import { DERIVATIVE_CACHE_CONTROL } from '../../src/activities/resize/uploadDerivative';
import { REFUSED_TAG } from '../../src/lifecycle/refusedSource';
import { imageListQuery } from '../../src/storage/imageListing';
import {
  arrayItems,
  member,
  members,
  moduleBlock,
  moduleParams as moduleParamsIn,
  objectMember,
  objectPath,
  parameters,
  readRepoFile,
  resourceNamed,
  resourcesOfType,
  stringLiteral,
  variableValue,
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
  return moduleParamsIn(mainBicep, symbol);
}

/** A module parameter's array items, or [] when the module leaves the parameter at its default. */
function moduleArray(symbol: string, parameter: string): string[] {
  const passed = members(moduleParams(symbol)).get(parameter);
  return passed === undefined ? [] : arrayItems(passed);
}

describe('names shared with the code', () => {
  it('creates the containers, database and container the code uses by default', () => {
    expect(mainVariable('unprocessedContainerName')).toBe(codeDefaults.unprocessedContainer);
    expect(mainVariable('processedContainerName')).toBe(codeDefaults.processedContainer);
    expect(mainVariable('cosmosDatabaseName')).toBe(codeDefaults.cosmos.database);
    expect(mainVariable('cosmosContainerName')).toBe(codeDefaults.cosmos.container);
    expect(mainVariable('scratchContainerName')).toBe('images-scratch');
    expect(arrayItems(member(moduleParams('imagesStorage'), 'containers'))).toEqual([
      'unprocessedContainerName',
      'scratchContainerName',
      'deadLetterContainerName',
    ]);
    expect(moduleArray('derivativesStorage', 'containers')).toEqual([]);
    expect(moduleArray('derivativesStorage', 'publicReadContainers')).toEqual(['processedContainerName']);
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
  const storageModules = [...mainBicep.matchAll(/^module (\w+) 'app\/storage\.bicep'/gm)].map(
    (m) => m[1] ?? '',
  );

  it('accepts Entra ID only: no shared key, TLS 1.2, HTTPS', () => {
    expect(member(properties, 'allowSharedKeyAccess')).toBe('false');
    expect(member(properties, 'defaultToOAuthAuthentication')).toBe('true');
    expect(member(properties, 'minimumTlsVersion')).toBe("'TLS1_2'");
    expect(member(properties, 'supportsHttpsTrafficOnly')).toBe('true');
  });

  it('allows anonymous blob reads only on an account given public-read containers', () => {
    expect(member(properties, 'allowBlobPublicAccess')).toBe('allowPublicRead');
    expect(variables(storage).get('allowPublicRead')?.value).toBe('!empty(publicReadContainers)');
    expect(parameters(storage).get('publicReadContainers')?.value).toBe('[]');
  });

  it('creates all three accounts through this one module; only the derivatives account has public reads', () => {
    expect(resourcesOfType(mainBicep, 'Microsoft.Storage/storageAccounts')).toEqual([]);
    expect(storageModules.sort()).toEqual(['derivativesStorage', 'hostStorage', 'imagesStorage']);
    for (const symbol of storageModules) {
      const publicRead = moduleArray(symbol, 'publicReadContainers');
      expect(publicRead, symbol).toEqual(symbol === 'derivativesStorage' ? ['processedContainerName'] : []);
    }
    // The sources account never holds the derivatives, so it keeps allowBlobPublicAccess false.
    expect(moduleArray('imagesStorage', 'containers')).not.toContain('processedContainerName');
  });

  it('makes containers private, or readable by exact blob name and never listable', () => {
    expect(
      member(objectMember(resourceNamed(storage, 'blobContainers').body, 'properties'), 'publicAccess'),
    ).toBe("'None'");
    const publicRead = resourceNamed(storage, 'publicReadBlobContainers');
    expect(storage).toMatch(
      /^resource publicReadBlobContainers '[^']+' = \[\s*for container in publicReadContainers: \{/m,
    );
    expect(member(objectMember(publicRead.body, 'properties'), 'publicAccess')).toBe("'Blob'");
    // 'Container' would let anyone list every derivative name (user ids, file names).
    for (const file of ['infra/app/storage.bicep', 'infra/main.bicep']) {
      expect(readRepoFile(file)).not.toMatch(/publicAccess:\s*'Container'/);
    }
  });

  it('lets the site PUT uploads to the sources account with a SAS (CORS), and only there', () => {
    expect(
      member(objectPath(resourceNamed(storage, 'blobService').body, 'properties', 'cors'), 'corsRules'),
    ).toBe('corsRules');
    expect(parameters(storage).get('corsRules')?.value).toBe('[]');
    expect(member(moduleParams('imagesStorage'), 'corsRules')).toBe('uploadCorsRules');
    for (const symbol of storageModules.filter((name) => name !== 'imagesStorage')) {
      expect(moduleParams(symbol), symbol).not.toMatch(/corsRules/);
    }
    const [rule, ...more] = arrayItems(variableValue(mainBicep, 'uploadCorsRules'));
    expect(more).toEqual([]);
    const body = (rule ?? '').slice(1, -1);
    expect(arrayItems(member(body, 'allowedOrigins'))).toEqual(['siteOrigin']);
    expect(arrayItems(member(body, 'allowedMethods'))).toEqual(["'PUT'", "'OPTIONS'"]);
    expect(arrayItems(member(body, 'allowedHeaders'))).toEqual(
      expect.arrayContaining(["'content-type'", "'x-ms-blob-type'", "'x-ms-*'"]),
    );
    // The site is the function app itself: the origin is its default hostname.
    expect(mainVariable('siteOrigin')).toBe("'https://${functionAppName}.azurewebsites.net'");
    expect(member(moduleParams('functionApp'), 'functionAppName')).toBe('functionAppName');
  });

  it('expires scratch blobs after a day with a lifecycle rule, on the sources account only', () => {
    expect(moduleArray('imagesStorage', 'expiringContainers')).toEqual(['scratchContainerName']);
    for (const symbol of storageModules.filter((name) => name !== 'imagesStorage')) {
      expect(moduleArray(symbol, 'expiringContainers'), symbol).toEqual([]);
    }
    const lifecycle = resourceNamed(storage, 'lifecycle');
    expect(lifecycle.type).toBe('Microsoft.Storage/storageAccounts/managementPolicies');
    expect(lifecycle.condition).toBe('!empty(expiringContainers) || !empty(refusedSourceContainers)');
    expect(member(objectPath(lifecycle.body, 'properties', 'policy'), 'rules')).toBe(
      'concat(empty(expiringContainers) ? [] : [expireRule], empty(refusedSourceContainers) ? [] : [refusedRule, sourceSnapshotRule])',
    );
    const rule = members(variableValue(storage, 'expireRule').slice(1, -1));
    expect(stringLiteral(rule.get('name') ?? '')).toBe('expire-scratch');
    const definition = objectMember(variableValue(storage, 'expireRule').slice(1, -1), 'definition');
    expect(member(objectMember(definition, 'filters'), 'prefixMatch')).toBe(
      "map(expiringContainers, container => '${container}/')",
    );
    expect(objectMember(definition, 'actions')).toMatch(
      /baseBlob: \{ delete: \{ daysAfterModificationGreaterThan: expireAfterDays \} \}/,
    );
    expect(parameters(storage).get('expireAfterDays')?.value).toBe('1');
  });

  it('deletes sources the pipeline tagged outcome=refused after a week, on the sources container only', () => {
    expect(moduleArray('imagesStorage', 'refusedSourceContainers')).toEqual(['unprocessedContainerName']);
    for (const symbol of storageModules.filter((name) => name !== 'imagesStorage')) {
      expect(moduleArray(symbol, 'refusedSourceContainers'), symbol).toEqual([]);
    }
    const rule = variableValue(storage, 'refusedRule').slice(1, -1);
    expect(stringLiteral(member(rule, 'name'))).toBe('delete-refused-sources');
    const filters = objectPath(rule, 'definition', 'filters');
    expect(member(filters, 'prefixMatch')).toBe("map(refusedSourceContainers, container => '${container}/')");
    // The tag the writer sets (src/lifecycle/refusedSource.ts), compared as lifecycle rules can: equality.
    expect(arrayItems(member(filters, 'blobIndexMatch'))).toEqual([
      `{ name: '${REFUSED_TAG.name}', op: '==', value: '${REFUSED_TAG.value}' }`,
    ]);
    const actions = objectPath(rule, 'definition', 'actions');
    expect(actions).toMatch(
      /baseBlob: \{ delete: \{ daysAfterModificationGreaterThan: refusedSourceDays \} \}/,
    );
    // A create-only SAS also allows Snapshot Blob: the refused upload's snapshots go with it.
    expect(actions).toMatch(/snapshot: \{ delete: \{ daysAfterCreationGreaterThan: refusedSourceDays \} \}/);
    expect(parameters(storage).get('refusedSourceDays')?.value).toBe('7');
  });

  it('deletes every snapshot in the sources containers (the app takes none; an upload SAS can)', () => {
    const rule = variableValue(storage, 'sourceSnapshotRule').slice(1, -1);
    expect(stringLiteral(member(rule, 'name'))).toBe('delete-source-snapshots');
    const filters = objectPath(rule, 'definition', 'filters');
    expect(member(filters, 'prefixMatch')).toBe("map(refusedSourceContainers, container => '${container}/')");
    expect(arrayItems(member(filters, 'blobTypes'))).toEqual(["'blockBlob'", "'appendBlob'"]);
    const actions = objectPath(rule, 'definition', 'actions');
    expect(actions).toMatch(/snapshot: \{ delete: \{ daysAfterCreationGreaterThan: refusedSourceDays \} \}/);
    expect(actions).not.toMatch(/baseBlob/);
    // Versioning stays off on every account, so no rule needs a `version` action.
    expect(storage).not.toMatch(/isVersioningEnabled/);
  });
});

describe('derivative delivery (Front Door)', () => {
  const frontDoor = readRepoFile('infra/app/frontdoor.bicep');
  const module = moduleBlock(mainBicep, 'delivery');

  it('is deployed by default and can be turned off (deliveryCdn none)', () => {
    expect(module.path).toBe('app/frontdoor.bicep');
    expect(module.condition).toBe('useFrontDoor');
    expect(variables(mainBicep).get('useFrontDoor')?.value).toBe("deliveryCdn == 'frontdoor'");
    expect(parameters(mainBicep).get('deliveryCdn')?.value).toBe("'frontdoor'");
  });

  it('is a Standard profile whose one origin is the derivatives account', () => {
    expect(objectMember(resourceNamed(frontDoor, 'profile').body, 'sku')).toBe(
      " name: 'Standard_AzureFrontDoor' ",
    );
    const origin = objectMember(resourceNamed(frontDoor, 'origin').body, 'properties');
    expect(member(origin, 'hostName')).toBe('originHostName');
    expect(member(origin, 'originHostHeader')).toBe('originHostName');
    expect(member(origin, 'enforceCertificateNameCheck')).toBe('true');
    expect(member(moduleParams('delivery'), 'originHostName')).toBe(
      "'${derivativesStorage.outputs.name}.blob.${environment().suffixes.storage}'",
    );
    expect(member(moduleParams('delivery'), 'containerName')).toBe('processedContainerName');
  });

  it('serves only the derivatives container, over HTTPS, caching by path alone', () => {
    const route = objectMember(resourceNamed(frontDoor, 'route').body, 'properties');
    expect(arrayItems(member(route, 'patternsToMatch'))).toEqual(["'/${containerName}/*'"]);
    expect(member(route, 'httpsRedirect')).toBe("'Enabled'");
    expect(member(route, 'forwardingProtocol')).toBe("'HttpsOnly'");
    const cache = objectMember(route, 'cacheConfiguration');
    expect(member(cache, 'queryStringCachingBehavior')).toBe("'IgnoreQueryString'");
    expect(arrayItems(member(route, 'ruleSets'))).toEqual(['{ id: ruleSet.id }']);
    expect(frontDoor).toMatch(
      /^output baseUrl string = 'https:\/\/\$\{endpoint\.properties\.hostName\}\/\$\{containerName\}'$/m,
    );
  });
});

describe('edge cache lifetime of derivatives', () => {
  const frontDoor = readRepoFile('infra/app/frontdoor.bicep');

  it('keeps a derivative at an edge for one day at most, whatever the origin max-age says', () => {
    expect(resourcesOfType(frontDoor, 'Microsoft.Cdn/profiles/ruleSets').map((r) => r.symbol)).toEqual([
      'ruleSet',
    ]);
    const rules = resourcesOfType(frontDoor, 'Microsoft.Cdn/profiles/ruleSets/rules');
    expect(rules.map((r) => r.symbol)).toEqual(['edgeTtl']);
    const properties = objectMember(rules[0]?.body ?? '', 'properties');
    expect(member(properties, 'conditions')).toBe('[]');
    const [action, ...others] = arrayItems(member(properties, 'actions'));
    expect(others).toEqual([]);
    const body = (action ?? '').slice(1, -1);
    expect(stringLiteral(member(body, 'name'))).toBe('RouteConfigurationOverride');
    const cache = objectPath(body, 'parameters', 'cacheConfiguration');
    expect(member(cache, 'cacheBehavior')).toBe("'OverrideAlways'");
    expect(member(cache, 'cacheDuration')).toBe('edgeCacheDuration');
    expect(member(cache, 'queryStringCachingBehavior')).toBe("'IgnoreQueryString'");
    expect(parameters(frontDoor).get('edgeCacheDuration')?.value).toBe("'1.00:00:00'");
    // The browsers' lifetime is the derivative's own header, untouched: no rule rewrites response headers.
    expect(frontDoor).not.toMatch(/ModifyResponseHeader/);
    expect(DERIVATIVE_CACHE_CONTROL).toBe('public, max-age=31536000, immutable');
  });
});

describe('Durable Task Scheduler', () => {
  const scheduler = readRepoFile('infra/app/durable-scheduler.bicep');
  const module = moduleBlock(mainBicep, 'durableScheduler');

  it('is the default Durable backend, with Azure Storage as the documented alternative', () => {
    expect(module.path).toBe('app/durable-scheduler.bicep');
    expect(module.condition).toBe('useScheduler');
    expect(variables(mainBicep).get('useScheduler')?.value).toBe("durableBackend == 'scheduler'");
    expect(parameters(mainBicep).get('durableBackend')?.value).toBe("'scheduler'");
    expect(mainBicep).toMatch(
      /@allowed\(\['scheduler', 'storage'\]\)\s*(?:@description\([^\n]*\)\s*)?param durableBackend string/,
    );
    for (const symbol of ['roles', 'functionApp']) {
      expect(member(moduleParams(symbol), 'durableBackend'), symbol).toBe('durableBackend');
    }
  });

  it('provisions a scheduler (Consumption by default) and the task hub the app is configured with', () => {
    const resource = resourceNamed(scheduler, 'scheduler');
    expect(resource.type).toBe('Microsoft.DurableTask/schedulers');
    expect(resource.apiVersion).toBe('2025-11-01');
    const properties = objectMember(resource.body, 'properties');
    expect(member(properties, 'sku')).toBe(
      "skuName == 'Dedicated' ? { name: 'Dedicated', capacity: dedicatedCapacity } : { name: 'Consumption' }",
    );
    expect(scheduler).toMatch(/@allowed\(\['Consumption', 'Dedicated'\]\)/);
    expect(parameters(mainBicep).get('durableSchedulerSku')?.value).toBe("'Consumption'");
    // An empty allow-list refuses every caller; access is still Entra-only.
    expect(arrayItems(member(properties, 'ipAllowlist'))).toEqual(["'0.0.0.0/0'"]);
    const taskHub = resourceNamed(scheduler, 'taskHub');
    expect(taskHub.type).toBe('Microsoft.DurableTask/schedulers/taskHubs');
    expect(taskHub.apiVersion).toBe(resource.apiVersion);
    expect(member(taskHub.body, 'parent')).toBe('scheduler');
    expect(member(taskHub.body, 'name')).toBe('taskHubName');
    expect(member(moduleParams('durableScheduler'), 'taskHubName')).toBe('durableTaskHubName');
    expect(member(moduleParams('roles'), 'taskHubName')).toBe('durableTaskHubName');
    expect(member(moduleParams('roles'), 'schedulerName')).toBe(
      "useScheduler ? durableScheduler.outputs.name : ''",
    );
    expect(scheduler).toMatch(/^output endpoint string = scheduler\.properties\.endpoint$/m);
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

  it('indexes the scalar fields and the error codes, not the variant array or the rest of the errors', () => {
    const policy = objectMember(container, 'indexingPolicy');
    expect(arrayItems(member(policy, 'includedPaths'))).toEqual([
      "{ path: '/*' }",
      // The console's error-code filter (src/storage/imageListing.ts).
      "{ path: '/errors/[]/code/?' }",
    ]);
    const excluded = arrayItems(member(policy, 'excludedPaths'));
    expect(excluded).toEqual(expect.arrayContaining(["{ path: '/variants/*' }", "{ path: '/errors/*' }"]));
  });

  it('has the composite index of the console status filter with its newest-first order', () => {
    const policy = objectMember(container, 'indexingPolicy');
    expect(imageListQuery({ status: 'failed' }).query).toBe(
      'SELECT * FROM c WHERE c.status = @status ORDER BY c.updatedAt DESC',
    );
    const [composite, ...others] = arrayItems(member(policy, 'compositeIndexes'));
    expect(others).toEqual([]);
    expect(arrayItems(composite ?? '')).toEqual([
      "{ path: '/status', order: 'ascending' }",
      "{ path: '/updatedAt', order: 'descending' }",
    ]);
  });

  it('turns TTL on without a default expiry, so a tombstone expires by its own ttl and documents never', () => {
    expect(member(container, 'defaultTtl')).toBe('-1');
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
