// ServerFeatures.GetSupportedMethods as EventStoreDB 24.10 answers it: what makes the client take BatchAppend.
import serverFeaturesPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';

/**
 * The gRPC services a 24.10 node maps (src/EventStore.Core/ClusterVNodeStartup.cs; their rpcs in src/Protos/Grpc/*.proto),
 * keeping those whose service name contains "client", as ServerFeatures.cs does. Projections is left out: its service is
 * mapped only when the projections subsystem runs, and the compose file runs with EVENTSTORE_RUN_PROJECTIONS=None.
 * The stand-in serves only Streams and ServerFeatures; the client never calls the rest on the ledger's paths, and a call
 * to one would get UNIMPLEMENTED.
 */
const SERVICES: Readonly<Record<string, readonly string[]>> = {
  'event_store.client.persistent_subscriptions.PersistentSubscriptions': [
    'Create',
    'Update',
    'Delete',
    'Read',
    'GetInfo',
    'ReplayParked',
    'List',
    'RestartSubsystem',
  ],
  'event_store.client.users.Users': ['Create', 'Update', 'Delete', 'Disable', 'Enable', 'Details', 'ChangePassword', 'ResetPassword'],
  'event_store.client.streams.Streams': ['Read', 'Append', 'Delete', 'Tombstone', 'BatchAppend'],
  'event_store.client.operations.Operations': [
    'StartScavenge',
    'StopScavenge',
    'Shutdown',
    'MergeIndexes',
    'ResignNode',
    'SetNodePriority',
    'RestartPersistentSubscriptions',
  ],
  'event_store.client.gossip.Gossip': ['Read'],
  'event_store.client.monitoring.Monitoring': ['Stats'],
  'event_store.client.server_features.ServerFeatures': ['GetSupportedMethods'],
  'event_store.client.redaction.Redaction': ['GetEventPositions', 'SwitchChunks'],
};

/** VersionInfo.Version cut to three parts. */
export const SERVER_VERSION = '24.10.0';

/**
 * Names lower-cased, and the features ServerFeatures.cs adds (src/EventStore.Core/Services/Transport/Grpc/ServerFeatures.cs):
 * "stream" and "all" on PersistentSubscriptions, "position" and "events" on Streams methods named *Read*,
 * "deadline_duration" on BatchAppend.
 */
export function supportedMethods(): SupportedMethods {
  const methods = Object.entries(SERVICES).flatMap(([service, names]) =>
    names.map((name) => {
      const features = service.includes('PersistentSubscriptions')
        ? ['stream', 'all']
        : service.includes('Streams') && name.includes('Read')
          ? ['position', 'events']
          : service.includes('Streams') && name.includes('BatchAppend')
            ? ['deadline_duration']
            : [];
      return new serverFeaturesPb.SupportedMethod()
        .setServiceName(service.toLowerCase())
        .setMethodName(name.toLowerCase())
        .setFeaturesList(features);
    }),
  );
  return new serverFeaturesPb.SupportedMethods().setMethodsList(methods).setEventStoreServerVersion(SERVER_VERSION);
}
