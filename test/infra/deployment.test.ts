import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TRIGGER_FUNCTION } from '../../src/domain/functionNames';
import { loadSettings } from '../../src/config/settings';
import {
  arrayItems,
  infraFiles,
  member,
  members,
  objectMember,
  objectPath,
  parameters,
  readRepoFile,
  repoRoot,
  resourceNamed,
  stringLiteral,
  variables,
} from './bicep';

const mainBicep = readRepoFile('infra/main.bicep');
const subscriptionBicep = readRepoFile('infra/app/event-subscription.bicep');
const azureYaml = readRepoFile('azure.yaml');
const mainOutputs = new Set([...mainBicep.matchAll(/^output (\w+) /gm)].map((m) => m[1]));

describe('Event Grid subscription (deployed by the postdeploy hook)', () => {
  const subscription = resourceNamed(subscriptionBicep, 'sourceEventsSubscription');
  const properties = objectMember(subscription.body, 'properties');
  const filter = objectMember(properties, 'filter');
  const unprocessed = loadSettings({
    IMAGES_STORAGE: 'UseDevelopmentStorage=true',
    COSMOS__accountEndpoint: 'https://127.0.0.1:8081',
    COSMOS__key: 'emulator',
  }).unprocessedContainer;

  it('delivers to the Event Grid webhook of the trigger function, with the extension key', () => {
    expect(stringLiteral(variables(subscriptionBicep).get('functionName')?.value ?? '')).toBe(
      EVENT_TRIGGER_FUNCTION,
    );
    const destination = objectMember(properties, 'destination');
    expect(member(destination, 'endpointType')).toBe("'WebHook'");
    expect(member(objectMember(destination, 'properties'), 'endpointUrl')).toBe(
      "'https://${functionApp.properties.defaultHostName}/runtime/webhooks/eventgrid?functionName=${functionName}&code=${eventGridExtensionKey}'",
    );
    expect(subscriptionBicep).toMatch(
      /@secure\(\)\s*(?:@description\([^\n]*\)\s*)?param eventGridExtensionKey string/,
    );
  });

  it('filters BlobCreated and BlobDeleted under images-unprocessed/ for the APIs that write or delete a blob', () => {
    expect(arrayItems(member(filter, 'includedEventTypes'))).toEqual([
      "'Microsoft.Storage.BlobCreated'",
      "'Microsoft.Storage.BlobDeleted'",
    ]);
    expect(member(filter, 'subjectBeginsWith')).toBe(
      "'/blobServices/default/containers/${unprocessedContainerName}/'",
    );
    expect(stringLiteral(parameters(subscriptionBicep).get('unprocessedContainerName')?.value ?? '')).toBe(
      unprocessed,
    );
    const [advanced, ...more] = arrayItems(member(filter, 'advancedFilters'));
    expect(more).toEqual([]);
    const api = (advanced ?? '').slice(1, -1);
    expect(member(api, 'operatorType')).toBe("'StringIn'");
    expect(member(api, 'key')).toBe("'data.api'");
    // Advanced filters apply to both event types: without DeleteBlob here no delete would be delivered.
    expect(member(api, 'values')).toBe('concat(blobWritingApis, blobDeletingApis)');
    expect(arrayItems(variables(subscriptionBicep).get('blobDeletingApis')?.value ?? '[]')).toEqual([
      "'DeleteBlob'",
    ]);
    expect(arrayItems(variables(subscriptionBicep).get('blobWritingApis')?.value ?? '[]')).toEqual([
      "'PutBlob'",
      "'PutBlockList'",
      "'CopyBlob'",
      "'FlushWithClose'",
    ]);
  });

  it('retries for a bounded time, then dead-letters with the user-assigned identity', () => {
    const retry = objectMember(properties, 'retryPolicy');
    expect(Number(member(retry, 'maxDeliveryAttempts'))).toBeGreaterThan(1);
    expect(Number(member(retry, 'eventTimeToLiveInMinutes'))).toBeGreaterThan(0);
    const deadLetter = objectMember(properties, 'deadLetterWithResourceIdentity');
    expect(objectMember(deadLetter, 'identity')).toMatch(/type: 'UserAssigned'/);
    expect(member(objectMember(deadLetter, 'identity'), 'userAssignedIdentity')).toBe('identity.id');
    const destination = objectPath(deadLetter, 'deadLetterDestination', 'properties');
    expect(member(destination, 'resourceId')).toBe('imagesStorage.id');
    expect(member(destination, 'blobContainerName')).toBe('deadLetterContainerName');
    // Not the key-based form: Event Grid would need a storage key or open access to write dead letters.
    expect(members(properties).has('deadLetterDestination')).toBe(false);
    expect(stringLiteral(parameters(subscriptionBicep).get('deadLetterContainerName')?.value ?? '')).toBe(
      stringLiteral(variables(mainBicep).get('deadLetterContainerName')?.value ?? ''),
    );
  });
});

describe('azure.yaml', () => {
  it('deploys this project as the TypeScript function service `api`', () => {
    expect(azureYaml).toMatch(/^services:\n {2}api:\n/m);
    expect(azureYaml).toMatch(/^ {4}project: \.$/m);
    expect(azureYaml).toMatch(/^ {4}language: ts$/m);
    expect(azureYaml).toMatch(/^ {4}host: function$/m);
    expect(azureYaml).toMatch(/^infra:\n {2}provider: bicep\n {2}path: infra\n {2}module: main$/m);
  });

  it('deploys the staged Linux x64 package built locally, not a remote build of the source tree', () => {
    expect(azureYaml).toMatch(/^ {4}dist: dist\/package$/m);
    expect(azureYaml).toMatch(/^ {4}remoteBuild: false$/m);
    const packageScript = readRepoFile('infra/hooks/package.sh');
    expect(packageScript).toMatch(/^ {2}npm run build$/m);
    expect(packageScript).toMatch(/out="\$\{PACKAGE_OUTPUT_DIR:-\$root\/dist\/package\}"/);
    expect(packageScript).toMatch(/--omit=dev --os=linux --cpu=x64 --libc=glibc/);
    expect(packageScript).toMatch(/cp -R dist\/src "\$out\/dist\/src"/);
    const commands = packageScript.replace(/^\s*#.*$/gm, '');
    expect(commands).not.toMatch(/devhost|packages\/|bench|dist\/test|cp -R \.|cp -R dist\/? /);
    expect(readRepoFile('package.json')).toMatch(/"main": "dist\/src\/index\.js"/);
  });

  it('runs hooks that exist and are executable', () => {
    const hookPaths = [...azureYaml.matchAll(/run: \.\/(\S+)/g)].map((m) => m[1] ?? '');
    expect(hookPaths.sort()).toEqual([
      'infra/hooks/package.ps1',
      'infra/hooks/package.sh',
      'infra/hooks/postdeploy.ps1',
      'infra/hooks/postdeploy.sh',
    ]);
    for (const path of hookPaths) {
      const file = join(repoRoot, path);
      expect(existsSync(file), path).toBe(true);
      if (path.endsWith('.sh')) expect(statSync(file).mode & 0o111, path).not.toBe(0);
    }
    expect(azureYaml).toMatch(/^ {6}prepackage:\n/m);
    expect(azureYaml).toMatch(/^hooks:\n {2}postdeploy:\n/m);
  });
});

describe('postdeploy hook', () => {
  const hooks = ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1'].map((path) => [
    path,
    readRepoFile(path),
  ]);

  it.each(hooks)(
    '%s reads the eventgrid_extension system key and deploys event-subscription.bicep',
    (_path, script) => {
      expect(script).toMatch(/az functionapp keys list/);
      expect(script).toMatch(/systemKeys\.eventgrid_extension/);
      expect(script).toMatch(/az deployment group create/);
      expect(script).toMatch(/infra\/app\/event-subscription\.bicep/);
    },
  );

  it.each(hooks)('%s uses only environment values that main.bicep outputs (or azd sets)', (_path, script) => {
    const used = new Set(
      [...script.matchAll(/\b(AZURE_[A-Z_]+|EVENTGRID_[A-Z_]+|IMAGES_[A-Z_]+|[A-Z_]+_CONTAINER)\b/g)].map(
        (m) => m[1],
      ),
    );
    for (const name of used) {
      if (name === 'AZURE_SUBSCRIPTION_ID') continue; // set by azd itself
      expect(mainOutputs.has(name), `${name} is not an output of main.bicep`).toBe(true);
    }
  });

  it('passes every parameter event-subscription.bicep requires', () => {
    const shell = readRepoFile('infra/hooks/postdeploy.sh');
    const pwsh = readRepoFile('infra/hooks/postdeploy.ps1');
    const required = [...parameters(subscriptionBicep)].filter(([, declaration]) => declaration.value === '');
    expect(required.map(([name]) => name).sort()).toEqual([
      'eventGridExtensionKey',
      'functionAppName',
      'identityName',
      'imagesStorageAccountName',
      'systemTopicName',
    ]);
    for (const [name] of required) {
      expect(shell, name).toMatch(new RegExp(`"${name}": \\{ "value": `));
      expect(pwsh, name).toMatch(new RegExp(`\\b${name}\\s+= @\\{ value = `));
    }
  });
});

describe('main.parameters.json', () => {
  const file = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
    parameters: Record<string, { value: string }>;
  };

  it('supplies every main.bicep parameter without a default, and names only real parameters', () => {
    const declared = parameters(mainBicep);
    for (const [name, declaration] of declared) {
      if (declaration.value === '') expect(Object.keys(file.parameters), name).toContain(name);
    }
    for (const name of Object.keys(file.parameters)) expect(declared.has(name), name).toBe(true);
    expect(file.parameters.environmentName?.value).toBe('${AZURE_ENV_NAME}');
    expect(file.parameters.location?.value).toBe('${AZURE_LOCATION}');
    expect(file.parameters.principalId?.value).toBe('${AZURE_PRINCIPAL_ID}');
    expect(file.parameters.durableBackend?.value).toBe('${DURABLE_BACKEND=scheduler}');
    expect(file.parameters.deliveryCdn?.value).toBe('${DELIVERY_CDN=frontdoor}');
    expect(file.parameters.authClientId?.value).toBe('${AUTH_CLIENT_ID=}');
    expect(file.parameters.replacedDerivativesGraceSeconds?.value).toBe(
      '${REPLACED_DERIVATIVES_GRACE_SECONDS=900}',
    );
  });
});

describe('outputs for azd', () => {
  it('exposes the app, resource group, accounts and names the hooks and docs use', () => {
    for (const name of [
      'AZURE_RESOURCE_GROUP',
      'AZURE_FUNCTION_APP_NAME',
      'SERVICE_API_NAME',
      'HOST_STORAGE_ACCOUNT_NAME',
      'IMAGES_STORAGE_ACCOUNT_NAME',
      'DERIVATIVES_STORAGE_ACCOUNT_NAME',
      'EVENTGRID_SYSTEM_TOPIC_NAME',
      'AZURE_MANAGED_IDENTITY_NAME',
      'SITE_URL',
      'DERIVATIVE_BASE_URL',
      'DURABLE_BACKEND',
      'DURABLE_TASK_SCHEDULER_NAME',
      'TASKHUB_NAME',
      'AUTH_CLIENT_ID',
    ]) {
      expect(mainOutputs.has(name), name).toBe(true);
    }
  });
});

describe('.funcignore (used by Core Tools publishing; azd deploys dist/package)', () => {
  const ignored = readRepoFile('.funcignore')
    .split('\n')
    .map((line) => line.trim());

  it('keeps the local host (packages/), bench/ and tests out of a package built from the project root', () => {
    for (const path of [
      'packages',
      'node_modules/@image-derivatives',
      'bench',
      'dist/bench',
      'test',
      'dist/test',
      'infra',
    ]) {
      expect(ignored, path).toContain(path);
    }
  });

  it('does not exclude node_modules, which azd requires with remoteBuild: false', () => {
    expect(ignored.filter((line) => /^\/?node_modules\/?$/.test(line))).toEqual([]);
  });
});

describe('infra/ layout', () => {
  it('has the entry point, parameters, abbreviations and the modules main.bicep uses', () => {
    const files = infraFiles();
    for (const path of ['infra/main.bicep', 'infra/main.parameters.json', 'infra/abbreviations.json']) {
      expect(files).toContain(path);
    }
    for (const [, module] of mainBicep.matchAll(/^module \w+ '([^']+)'/gm)) {
      expect(files).toContain(`infra/${module}`);
    }
  });
});
