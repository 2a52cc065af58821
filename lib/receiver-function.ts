import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Function as LambdaFunction, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../lambda/service';
import { functionCode, type FunctionEntry } from './function-bundles';

export interface ReceiverFunctionProps {
  /** The handler file under `lambda/`, e.g. `handler.ts`. */
  readonly entry: FunctionEntry;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  readonly reservedConcurrentExecutions?: number;
  /** Retries of a failed asynchronous invocation. @default 2 (Lambda's) */
  readonly retryAttempts?: number;
}

/**
 * One of the receiver's functions: Node.js 24 on arm64, bundled and minified by esbuild (no
 * Docker; see function-bundles.ts), JSON logs into a retained log group of its own. Its role starts empty: no AWS managed
 * policy, only writing to that log group; callers grant the rest.
 */
export function receiverFunction(scope: Construct, id: string, props: ReceiverFunctionProps): LambdaFunction {
  const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
  const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  logGroup.grantWrite(role);
  return new LambdaFunction(scope, id, {
    role,
    code: functionCode(props.entry),
    handler: 'index.handler',
    runtime: Runtime.NODEJS_24_X,
    architecture: Architecture.ARM_64,
    memorySize: props.memorySize,
    timeout: props.timeout,
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    retryAttempts: props.retryAttempts,
    environment: { POWERTOOLS_SERVICE_NAME: SERVICE_NAME, NODE_OPTIONS: '--enable-source-maps', ...props.environment },
    loggingFormat: LoggingFormat.JSON,
    logGroup,
  });
}
