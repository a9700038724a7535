/**
 * Amazon Pinpoint `SendMessages` on the SMS channel (REST-JSON: POST /v1/apps/{ApplicationId}/messages; Pinpoint REST
 * API Reference, Messages; aws-models/pinpoint.json). Pinpoint answers 200 for a request it accepted and reports each
 * address's fate in `Result`. Its SMS goes out through End User Messaging, so the account's sandbox and identities
 * decide delivery as for SNS.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { E164, pinpointError, respond, type Violation } from './protocol';
import type { Provider } from './provider';
import { whyUndeliverable } from './sns';

interface PinpointMessageRequest {
  Addresses?: Record<string, { ChannelType?: string }>;
  MessageConfiguration?: { SMSMessage?: Record<string, unknown> };
}

export function handlePinpoint(provider: Provider, request: IncomingMessage, response: ServerResponse, path: string, body: string): void {
  let payload: PinpointMessageRequest;
  try {
    payload = JSON.parse(body) as PinpointMessageRequest;
  } catch {
    return pinpointError(response, 400, 'BadRequestException', 'Request body is not JSON');
  }
  provider.record({ route: 'pinpoint', path, headers: request.headers, payload });
  const applicationId = decodeURIComponent(path.split('/')[3] ?? '');
  const violation = pinpointSendMessagesViolation(payload);
  if (violation) return pinpointError(response, 400, 'BadRequestException', violation.message);
  const text = String(payload.MessageConfiguration!.SMSMessage!.Body); // the rules made sure there is one
  const addresses = Object.entries(payload.Addresses ?? {});
  const fault = provider.fault('pinpoint');
  switch (fault) {
    case 'throttle':
      return pinpointError(response, 429, 'TooManyRequestsException', 'Too many requests');
    case 'error':
      return pinpointError(response, 500, 'InternalServerErrorException', 'Internal server error (simulated)');
    case 'error-after-accept':
      for (const [to] of addresses) provider.accept({ to, body: text, route: 'pinpoint', channel: 'sms', messageId: randomUUID() });
      return pinpointError(response, 500, 'InternalServerErrorException', 'Internal server error (simulated)');
    case 'timeout':
      for (const [to] of addresses) provider.accept({ to, body: text, route: 'pinpoint', channel: 'sms', messageId: randomUUID() });
      return;
    case 'ok':
    case 'reject': {
      const result: Record<string, unknown> = {};
      for (const [to, address] of addresses) {
        const messageId = randomUUID();
        if (fault === 'ok' && address.ChannelType === 'SMS') {
          const sent = { to, body: text, route: 'pinpoint' as const, channel: 'sms' as const, messageId };
          const undeliverable = whyUndeliverable(provider, to);
          if (undeliverable) provider.drop(sent, undeliverable);
          else provider.accept(sent);
        }
        result[to] =
          fault === 'ok'
            ? { DeliveryStatus: 'SUCCESSFUL', StatusCode: 200, MessageId: messageId, StatusMessage: `MessageId: ${messageId}` }
            : { DeliveryStatus: 'PERMANENT_FAILURE', StatusCode: 400, StatusMessage: 'Destination is unreachable (simulated)' };
      }
      return respond(response, 200, 'application/json', JSON.stringify({ ApplicationId: applicationId, RequestId: randomUUID(), Result: result }));
    }
  }
}

/**
 * Pinpoint `SendMessages` on the SMS channel (Pinpoint REST API Reference, Messages; aws-models/pinpoint.json):
 * `Addresses` keyed by E.164 numbers with a `ChannelType` of the enum, an `SMSMessage` with a `Body` and a
 * `MessageType` of TRANSACTIONAL or PROMOTIONAL, and a `SenderId` as SNS takes one.
 */
export function pinpointSendMessagesViolation(request: PinpointMessageRequest): Violation | undefined {
  const addresses = Object.entries(request.Addresses ?? {});
  if (addresses.length === 0) return { field: 'Addresses', message: 'Addresses or Endpoints must be specified' };
  for (const [address, config] of addresses) {
    const channels = ['PUSH', 'GCM', 'APNS', 'APNS_SANDBOX', 'APNS_VOIP', 'APNS_VOIP_SANDBOX', 'ADM', 'SMS', 'VOICE', 'EMAIL', 'BAIDU', 'CUSTOM', 'IN_APP'];
    if (!channels.includes(config.ChannelType ?? '')) return { field: 'ChannelType', message: `Invalid ChannelType for address ${address}` };
    if (config.ChannelType === 'SMS' && !E164.test(address)) return { field: 'Addresses', message: `Address ${address} is not a valid E.164 phone number` };
  }
  const sms = request.MessageConfiguration?.SMSMessage;
  if (!sms || typeof sms.Body !== 'string' || sms.Body.trim() === '') return { field: 'Body', message: 'SMSMessage Body is required' };
  if (sms.MessageType !== undefined && sms.MessageType !== 'TRANSACTIONAL' && sms.MessageType !== 'PROMOTIONAL') {
    return { field: 'MessageType', message: 'MessageType must be TRANSACTIONAL or PROMOTIONAL' };
  }
  if (sms.SenderId !== undefined && !/^(?=.*[A-Za-z])[A-Za-z0-9]{3,11}$/.test(String(sms.SenderId))) {
    return { field: 'SenderId', message: 'SenderId must be 3 to 11 alphanumeric characters with at least one letter' };
  }
  if (sms.OriginationNumber !== undefined && !E164.test(String(sms.OriginationNumber))) {
    return { field: 'OriginationNumber', message: 'OriginationNumber must be in E.164 format' };
  }
  return undefined;
}
