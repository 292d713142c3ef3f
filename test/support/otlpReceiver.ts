import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One data point as it arrived, decoded from OTLP/JSON (opentelemetry-proto's JSON mapping). */
export interface ReceivedPoint {
  name: string;
  unit: string;
  /** gauge, or sum (a counter: monotonic, with its temporality). */
  type: 'gauge' | 'sum';
  monotonic?: boolean;
  /** 1 = delta, 2 = cumulative (AggregationTemporality in the proto). */
  temporality?: number;
  value: number;
  attributes: Record<string, string | number | boolean>;
}

export interface ReceivedExport {
  path: string;
  headers: http.IncomingHttpHeaders;
  resource: Record<string, string | number | boolean>;
  points: ReceivedPoint[];
}

/** answer: what the collector does with an export; `hang` never answers (a collector that accepts and stalls). */
export type ReceiverBehaviour = 'ok' | 'fail' | 'hang';

export interface OtlpReceiver {
  /** Base URL, http://127.0.0.1:<port>. */
  url: string;
  port: number;
  exports: ReceivedExport[];
  behaviour: ReceiverBehaviour;
  close(): Promise<void>;
}

/** An OTLP/HTTP metrics receiver on loopback that decodes what it gets, as a collector's otlp receiver would. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const receiver: Partial<OtlpReceiver> = { exports, behaviour: 'ok' };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (receiver.behaviour === 'hang') return;
      if (receiver.behaviour === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"code":13,"message":"collector is broken"}');
        return;
      }
      try {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        if (!String(req.headers['content-type']).startsWith('application/json')) throw new Error(`unexpected content-type ${req.headers['content-type']}`);
        exports.push(...decode(req.url ?? '', req.headers, JSON.parse(body.toString('utf8')) as OtlpJsonRequest));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } catch (error) {
        res.writeHead(400).end((error as Error).message);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  }) as OtlpReceiver;
}

interface OtlpJsonValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface OtlpJsonKeyValue {
  key: string;
  value: OtlpJsonValue;
}
interface OtlpJsonPoint {
  attributes?: OtlpJsonKeyValue[];
  asDouble?: number;
  asInt?: string | number;
}
interface OtlpJsonMetric {
  name: string;
  unit?: string;
  gauge?: { dataPoints: OtlpJsonPoint[] };
  sum?: { dataPoints: OtlpJsonPoint[]; isMonotonic?: boolean; aggregationTemporality?: number };
}
interface OtlpJsonRequest {
  resourceMetrics: Array<{ resource?: { attributes?: OtlpJsonKeyValue[] }; scopeMetrics: Array<{ metrics: OtlpJsonMetric[] }> }>;
}

function decode(path: string, headers: http.IncomingHttpHeaders, body: OtlpJsonRequest): ReceivedExport[] {
  return body.resourceMetrics.map((rm) => ({
    path,
    headers,
    resource: attributesOf(rm.resource?.attributes),
    points: rm.scopeMetrics.flatMap((sm) =>
      sm.metrics.flatMap((m): ReceivedPoint[] => {
        const data = m.gauge ?? m.sum;
        if (!data) throw new Error(`metric ${m.name} is neither a gauge nor a sum`);
        return data.dataPoints.map((p) => ({
          name: m.name,
          unit: m.unit ?? '',
          type: m.gauge ? 'gauge' : 'sum',
          ...(m.sum ? { monotonic: m.sum.isMonotonic === true, temporality: m.sum.aggregationTemporality ?? 0 } : {}),
          value: p.asDouble ?? Number(p.asInt),
          attributes: attributesOf(p.attributes)
        }));
      })
    )
  }));
}

function attributesOf(list: OtlpJsonKeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? value.doubleValue ?? value.boolValue ?? Number(value.intValue);
  }
  return out;
}
