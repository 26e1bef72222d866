const STORAGE_ACCOUNT_TOPIC =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/([^/]+)$/i;

/** The storage account an Event Grid topic (or CloudEvents `source`) names, or undefined if it names none. */
export function storageAccountFromTopic(topic: string): string | undefined {
  return STORAGE_ACCOUNT_TOPIC.exec(topic)?.[1];
}
