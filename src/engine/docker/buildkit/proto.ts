/**
 * The protobuf messages tug exchanges with the engine's BuildKit: the progress it reports
 * (`moby.buildkit.trace` messages of the build stream) and the session services it calls back
 * (health, registry credentials, secrets, ssh agents). Only the fields tug reads or writes are
 * declared; unknown fields are skipped on decoding, as protobuf allows.
 */
import protobuf from 'protobufjs';

const timestamp = { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } };

const root = protobuf.Root.fromJSON({
  nested: {
    status: {
      nested: {
        Timestamp: timestamp,
        StatusResponse: {
          fields: {
            vertexes: { rule: 'repeated', type: 'Vertex', id: 1 },
            statuses: { rule: 'repeated', type: 'VertexStatus', id: 2 },
            logs: { rule: 'repeated', type: 'VertexLog', id: 3 },
          },
        },
        Vertex: {
          fields: {
            digest: { type: 'string', id: 1 },
            name: { type: 'string', id: 3 },
            cached: { type: 'bool', id: 4 },
            started: { type: 'Timestamp', id: 5 },
            completed: { type: 'Timestamp', id: 6 },
            error: { type: 'string', id: 7 },
          },
        },
        VertexStatus: {
          fields: {
            ID: { type: 'string', id: 1 },
            vertex: { type: 'string', id: 2 },
            name: { type: 'string', id: 3 },
            current: { type: 'int64', id: 4 },
            total: { type: 'int64', id: 5 },
          },
        },
        VertexLog: {
          fields: {
            vertex: { type: 'string', id: 1 },
            timestamp: { type: 'Timestamp', id: 2 },
            stream: { type: 'int64', id: 3 },
            msg: { type: 'bytes', id: 4 },
          },
        },
      },
    },
    session: {
      nested: {
        HealthCheckRequest: { fields: { service: { type: 'string', id: 1 } } },
        HealthCheckResponse: { fields: { status: { type: 'int32', id: 1 } } },
        CredentialsRequest: { fields: { Host: { type: 'string', id: 1 } } },
        CredentialsResponse: { fields: { Username: { type: 'string', id: 1 }, Secret: { type: 'string', id: 2 } } },
        GetSecretRequest: { fields: { ID: { type: 'string', id: 1 } } },
        GetSecretResponse: { fields: { data: { type: 'bytes', id: 1 } } },
        CheckAgentRequest: { fields: { ID: { type: 'string', id: 1 } } },
        CheckAgentResponse: { fields: {} },
        BytesMessage: { fields: { data: { type: 'bytes', id: 1 } } },
      },
    },
  },
});

export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  started?: Timestamp;
  completed?: Timestamp;
  error: string;
}

export interface VertexStatus {
  ID: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
}

export interface VertexLog {
  vertex: string;
  timestamp?: Timestamp;
  /** 1 stdout, 2 stderr. */
  stream: number;
  msg: Buffer;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
}

const statusType = root.lookupType('status.StatusResponse');

/** One `moby.buildkit.trace` message (base64 protobuf in the stream's `aux`). */
export function decodeStatus(base64: string): StatusResponse {
  const m = statusType.decode(Buffer.from(base64, 'base64'));
  return statusType.toObject(m, { longs: Number, bytes: Buffer, defaults: true, arrays: true }) as StatusResponse;
}

/** Serialisers for a gRPC method whose messages are `session.<req>` and `session.<res>`. */
export function codec<Req, Res>(req: string, res: string): {
  requestDeserialize: (b: Buffer) => Req;
  requestSerialize: (m: Req) => Buffer;
  responseSerialize: (m: Res) => Buffer;
  responseDeserialize: (b: Buffer) => Res;
} {
  const q = root.lookupType(`session.${req}`);
  const r = root.lookupType(`session.${res}`);
  return {
    requestDeserialize: (b) => q.toObject(q.decode(b), { bytes: Buffer, defaults: true }) as Req,
    requestSerialize: (m) => Buffer.from(q.encode(q.fromObject(m as object)).finish()),
    responseSerialize: (m) => Buffer.from(r.encode(r.fromObject(m as object)).finish()),
    responseDeserialize: (b) => r.toObject(r.decode(b), { bytes: Buffer, defaults: true }) as Res,
  };
}
