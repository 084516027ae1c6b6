/**
 * The SPIFFE Workload API service definition (`SpiffeWorkloadAPI`, no proto package), field numbers as
 * in the SPIFFE Workload API spec / go-spiffe `workload.proto`. Kept as a string so the compiled output
 * needs no extra files; it is loaded once through @grpc/proto-loader from a private temp file and the
 * file is removed straight after.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadPackageDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js'
import { loadSync, type Options } from '@grpc/proto-loader'

export const WORKLOAD_PROTO = `syntax = "proto3";

import "google/protobuf/struct.proto";

message X509SVIDRequest {}

message X509SVIDResponse {
  repeated X509SVID svids = 1;
  repeated bytes crl = 2;
  map<string, bytes> federated_bundles = 3;
}

message X509SVID {
  string spiffe_id = 1;
  bytes x509_svid = 2;
  bytes x509_svid_key = 3;
  bytes bundle = 4;
  string hint = 5;
}

message X509BundlesRequest {}

message X509BundlesResponse {
  repeated bytes crl = 1;
  map<string, bytes> bundles = 2;
}

message JWTSVID {
  string spiffe_id = 1;
  string svid = 2;
  string hint = 3;
}

message JWTSVIDRequest {
  repeated string audience = 1;
  string spiffe_id = 2;
}

message JWTSVIDResponse {
  repeated JWTSVID svids = 1;
}

message JWTBundlesRequest {}

message JWTBundlesResponse {
  map<string, bytes> bundles = 1;
}

message ValidateJWTSVIDRequest {
  string audience = 1;
  string svid = 2;
}

message ValidateJWTSVIDResponse {
  string spiffe_id = 1;
  google.protobuf.Struct claims = 2;
}

service SpiffeWorkloadAPI {
  rpc FetchX509SVID(X509SVIDRequest) returns (stream X509SVIDResponse);
  rpc FetchX509Bundles(X509BundlesRequest) returns (stream X509BundlesResponse);
  rpc FetchJWTSVID(JWTSVIDRequest) returns (JWTSVIDResponse);
  rpc FetchJWTBundles(JWTBundlesRequest) returns (stream JWTBundlesResponse);
  rpc ValidateJWTSVID(ValidateJWTSVIDRequest) returns (ValidateJWTSVIDResponse);
}
`

/** The metadata header every Workload API call must carry (SPIFFE Workload Endpoint spec). */
export const WORKLOAD_HEADER = 'workload.spiffe.io'
export const WORKLOAD_HEADER_VALUE = 'true'

export const SERVICE_NAME = 'SpiffeWorkloadAPI'

/** Messages as proto-loader decodes them with the options below (snake_case, defaults filled). */
export interface X509SvidMessage {
  spiffe_id: string
  x509_svid: Uint8Array
  x509_svid_key: Uint8Array
  bundle: Uint8Array
  hint: string
}
export interface X509SvidResponseMessage {
  svids: X509SvidMessage[]
  crl: Uint8Array[]
  federated_bundles: Record<string, Uint8Array>
}
export interface X509BundlesResponseMessage {
  crl: Uint8Array[]
  bundles: Record<string, Uint8Array>
}
export interface JwtSvidMessage { spiffe_id: string, svid: string, hint: string }
export interface JwtSvidRequestMessage { audience: string[], spiffe_id: string }
export interface JwtSvidResponseMessage { svids: JwtSvidMessage[] }
export interface JwtBundlesResponseMessage { bundles: Record<string, Uint8Array> }
export interface ValidateJwtSvidRequestMessage { audience: string, svid: string }
/** `claims` is a google.protobuf.Struct in its decoded object form (`{ fields: { k: { stringValue } } }`). */
export interface ValidateJwtSvidResponseMessage { spiffe_id: string, claims: unknown }

export const LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true
}

let cached: ServiceClientConstructor | undefined

/** The grpc-js client constructor for `SpiffeWorkloadAPI` (its `.service` serves a server too). */
export function workloadApiService (): ServiceClientConstructor {
  if (cached != null) return cached
  const dir = mkdtempSync(join(tmpdir(), 'trustmesh-spiffe-proto-'))
  try {
    const file = join(dir, 'workload.proto')
    writeFileSync(file, WORKLOAD_PROTO, { mode: 0o600 })
    const pkg = loadPackageDefinition(loadSync(file, LOADER_OPTIONS))
    const ctor = pkg[SERVICE_NAME]
    if (typeof ctor !== 'function') throw new Error(`${SERVICE_NAME} missing from the loaded Workload API definition`)
    cached = ctor as ServiceClientConstructor
    return cached
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The service definition, for `Server.addService` in tests and tools. */
export function workloadApiServiceDefinition (): ServiceDefinition {
  return workloadApiService().service
}
