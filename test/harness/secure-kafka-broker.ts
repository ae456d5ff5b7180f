import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKafkaBroker, type KafkaBroker } from './kafka-broker.ts';

/**
 * A real broker with the listeners production clusters use, and what a client needs for each:
 * SASL_PLAINTEXT and SASL_SSL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and SSL requiring a client
 * certificate (mTLS). A CA is made at start with openssl; the broker's certificate names only
 * IP 127.0.0.1, so `localhost` fails hostname verification. SCRAM users are created by Kafka's own
 * storage tool (`--add-scram`), PLAIN users by the listener's JAAS config.
 */
export interface SecureKafkaBroker extends KafkaBroker {
  saslPlaintext: string;
  saslSsl: string;
  /** SSL with `ssl.client.auth=required`. */
  mtls: string;
  /** PEM of the CA that signed the broker's and the client's certificates. */
  ca: string;
  /** PEM of another CA, which signed nothing the broker shows. */
  otherCa: string;
  clientCert: string;
  clientKey: string;
  /** A user known to every mechanism, and its password. */
  user: string;
  password: string;
}

const user = 'canal';
const password = 'canal-secret-Ü1';

export async function startSecureKafkaBroker(): Promise<SecureKafkaBroker> {
  let pem: { ca: string; otherCa: string; clientCert: string; clientKey: string } | undefined;
  let ports: number[] = [];
  const broker = await startKafkaBroker({
    ports: 3,
    async configure(free, dir) {
      ports = free;
      pem = await makeCertificates(dir);
      const jaas = {
        plain: `org.apache.kafka.common.security.plain.PlainLoginModule required user_${user}="${password}";`,
        scram: 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      };
      const settings: Record<string, string> = {
        'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': join(dir, 'broker-keystore.pem'),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': join(dir, 'ca.pem'),
        'listener.name.mtls.ssl.client.auth': 'required',
      };
      for (const listener of ['sasl_plain', 'sasl_tls']) {
        settings[`listener.name.${listener}.plain.sasl.jaas.config`] = jaas.plain;
        settings[`listener.name.${listener}.scram-sha-256.sasl.jaas.config`] = jaas.scram;
        settings[`listener.name.${listener}.scram-sha-512.sasl.jaas.config`] = jaas.scram;
      }
      return {
        listeners: {
          SASL_PLAIN: { port: free[0]!, protocol: 'SASL_PLAINTEXT' },
          SASL_TLS: { port: free[1]!, protocol: 'SASL_SSL' },
          MTLS: { port: free[2]!, protocol: 'SSL' },
        },
        settings,
        formatArgs: ['--add-scram', `SCRAM-SHA-256=[name=${user},password=${password}]`, '--add-scram', `SCRAM-SHA-512=[name=${user},password=${password}]`],
      };
    },
  });
  return Object.assign(broker, {
    saslPlaintext: `127.0.0.1:${ports[0]}`,
    saslSsl: `127.0.0.1:${ports[1]}`,
    mtls: `127.0.0.1:${ports[2]}`,
    ...pem!,
    user,
    password,
  });
}

async function makeCertificates(dir: string) {
  const openssl = async (...args: string[]) => {
    await promisify(execFile)('openssl', args, { cwd: dir });
  };
  const days = '2';
  for (const ca of ['ca', 'other-ca']) {
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', days, '-subj', `/CN=K2S test ${ca}`);
  }
  const sign = async (name: string, extensions: string) => {
    await writeFile(join(dir, `${name}.ext`), extensions);
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=k2s-test-${name}`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', days, '-extfile', `${name}.ext`);
  };
  await sign('broker', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await sign('client', 'extendedKeyUsage=clientAuth\n');
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  // Kafka's PEM key store: the (PKCS#8, unencrypted) key and the certificate chain in one file.
  await writeFile(join(dir, 'broker-keystore.pem'), (await read('broker.key')) + (await read('broker.pem')));
  return { ca: await read('ca.pem'), otherCa: await read('other-ca.pem'), clientCert: await read('client.pem'), clientKey: await read('client.key') };
}
