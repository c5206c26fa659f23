//! Testee (spec/13) served by girolle's `RpcService`.
//!
//! Everything goes through girolle's public API: `RpcService::register` for the methods, `RpcService::subscribe`
//! for the ping handler, `ctx.rpc.call` for the nested call and `ctx.events.dispatch` for events. Where girolle
//! lacks a feature the contract asks for, the testee reports what girolle gives and the baseline says why:
//! - `context()` reports the inbound headers as girolle hands them to the handler; girolle does not expose the
//!   worker's own call id, so `call_id_stack` is the inbound stack.
//! - girolle has one kind of event subscription (queue `evt-<src>-<type>--<service>`), so only `on_ping_pool`
//!   (`service_pool`) exists; singleton and broadcast handlers cannot be built.
//! - `raise_error` returns girolle's `GirolleError::RemoteError`, built through its public `Deserialize`
//!   impl: girolle has no other way to fail with an error of a chosen type.
use girolle::prelude::*;
use girolle::GirolleError;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

static SERVICE: OnceLock<String> = OnceLock::new();
static EVENTS_RECEIVED: Mutex<Vec<Value>> = Mutex::new(Vec::new());

fn service() -> &'static str {
    SERVICE.get().expect("service name set in main")
}

/// AMQP field values as JSON: the testee reports what girolle decoded, in its JSON form.
fn amqp_to_json(value: &lapin::types::AMQPValue) -> Value {
    use lapin::types::AMQPValue::*;
    match value {
        Boolean(b) => json!(b),
        ShortShortInt(n) => json!(n),
        ShortShortUInt(n) => json!(n),
        ShortInt(n) => json!(n),
        ShortUInt(n) => json!(n),
        LongInt(n) => json!(n),
        LongUInt(n) => json!(n),
        LongLongInt(n) => json!(n),
        Float(n) => json!(n),
        Double(n) => json!(n),
        DecimalValue(d) => json!(format!("{:?}", d)),
        ShortString(s) => json!(s.as_str()),
        LongString(s) => json!(String::from_utf8_lossy(s.as_bytes())),
        FieldArray(items) => Value::Array(items.as_slice().iter().map(amqp_to_json).collect()),
        Timestamp(t) => json!(t),
        FieldTable(table) => table_to_json(table),
        ByteArray(bytes) => json!(String::from_utf8_lossy(bytes.as_slice())),
        Void => Value::Null,
    }
}

fn table_to_json(table: &lapin::types::FieldTable) -> Value {
    let mut object = serde_json::Map::new();
    for (key, value) in table.inner() {
        object.insert(key.as_str().to_string(), amqp_to_json(value));
    }
    Value::Object(object)
}

/// The worker context as girolle exposes it: `nameko.`-prefixed headers, prefix stripped, call id stack apart.
fn worker_context(ctx: &RpcContext) -> (serde_json::Map<String, Value>, Value) {
    let mut context = serde_json::Map::new();
    let mut stack = Value::Array(vec![]);
    for (key, value) in ctx.headers.inner() {
        let key = key.as_str();
        let Some(name) = key.strip_prefix("nameko.") else { continue };
        if name == "call_id_stack" {
            stack = amqp_to_json(value);
        } else {
            context.insert(name.to_string(), amqp_to_json(value));
        }
    }
    (context, stack)
}

fn payload_from(args: &Value, kwargs: &Value) -> Payload {
    let mut payload = Payload::new();
    for arg in args.as_array().cloned().unwrap_or_default() {
        payload = payload.arg(arg);
    }
    if let Some(object) = kwargs.as_object() {
        for (key, value) in object {
            payload = payload.kwarg(key, value.clone());
        }
    }
    payload
}

/// The handler's arguments by name, through girolle's own signature check (the one its `#[girolle]` macro
/// generates): a wrong number of arguments or an unknown keyword fails with girolle's IncorrectSignature.
fn inputs(payload: Payload, names: &[&str]) -> GirolleResult<Vec<Value>> {
    girolle::nameko_utils::build_inputs_fn_service(names, payload)
}

fn echo() -> RpcTask {
    RpcTask::new(
        "echo",
        std::sync::Arc::new(|_ctx, payload| {
            Box::pin(async move { Ok(json!({"args": payload.args(), "kwargs": payload.kwargs()})) })
        }),
    )
}

fn raise_error() -> RpcTask {
    RpcTask::new(
        "raise_error",
        std::sync::Arc::new(|_ctx, payload| {
            Box::pin(async move {
                let values = inputs(payload, &["exc_type", "message"])?;
                let exc_type = values[0].as_str().unwrap_or("").to_string();
                let message = values[1].as_str().unwrap_or("").to_string();
                let remote = serde_json::from_value(json!({
                    "exc_path": format!("girolle_testee.{}", exc_type),
                    "exc_type": exc_type,
                    "value": message,
                    "exc_args": [message],
                }))?;
                Err(GirolleError::RemoteError(remote))
            })
        }),
    )
}

fn sleep() -> RpcTask {
    RpcTask::new(
        "sleep",
        std::sync::Arc::new(|_ctx, payload| {
            Box::pin(async move {
                let seconds = inputs(payload, &["seconds"])?.remove(0);
                tokio::time::sleep(Duration::from_secs_f64(seconds.as_f64().unwrap_or(0.0).max(0.0))).await;
                Ok(seconds)
            })
        }),
    )
}

fn context() -> RpcTask {
    RpcTask::new(
        "context",
        std::sync::Arc::new(|ctx, payload| {
            Box::pin(async move {
                inputs(payload, &[])?;
                let (context, stack) = worker_context(&ctx);
                Ok(json!({"context": context, "call_id_stack": stack}))
            })
        }),
    )
}

fn call() -> RpcTask {
    RpcTask::new(
        "call",
        std::sync::Arc::new(|ctx, payload| {
            Box::pin(async move {
                let values = inputs(payload, &["service", "method", "args", "kwargs"])?;
                let target = values[0].as_str().unwrap_or("").to_string();
                let method = values[1].as_str().unwrap_or("").to_string();
                let nested = payload_from(&values[2], &values[3]);
                ctx.rpc.call(&target, &method, nested).await
            })
        }),
    )
}

fn dispatch() -> RpcTask {
    RpcTask::new(
        "dispatch",
        std::sync::Arc::new(|ctx, payload| {
            Box::pin(async move {
                let mut values = inputs(payload, &["event_type", "payload"])?;
                let data = values.remove(1);
                let event_type = values[0].as_str().unwrap_or("").to_string();
                ctx.events.dispatch(service(), &event_type, &data).await?;
                Ok(Value::Null)
            })
        }),
    )
}

fn events_received() -> RpcTask {
    RpcTask::new(
        "events_received",
        std::sync::Arc::new(|_ctx, payload| {
            Box::pin(async move {
                inputs(payload, &[])?;
                Ok(Value::Array(EVENTS_RECEIVED.lock().unwrap().clone()))
            })
        }),
    )
}

fn main() {
    let uri = std::env::var("NAMEKO_CONFORMANCE_AMQP_URI").expect("NAMEKO_CONFORMANCE_AMQP_URI is required");
    let name = std::env::var("NAMEKO_CONFORMANCE_SERVICE").unwrap_or_else(|_| "conformance".to_string());
    let exchange =
        std::env::var("NAMEKO_CONFORMANCE_RPC_EXCHANGE").unwrap_or_else(|_| "nameko-rpc".to_string());
    SERVICE.set(name.clone()).expect("set once");
    let conf = Config::default().with_amqp_uri(&uri).with_rpc_exchange(&exchange);
    // girolle takes the service name as &'static str; the testee serves one service for its whole life.
    let name: &'static str = Box::leak(name.into_boxed_str());
    let source = format!("{}_src", name);
    let result = RpcService::new(conf, name)
        .register(echo)
        .register(raise_error)
        .register(sleep)
        .register(context)
        .register(call)
        .register(dispatch)
        .register(events_received)
        .subscribe(
            &source,
            "ping",
            std::sync::Arc::new(|ctx: RpcContext, payload: Value| -> BoxFuture<GirolleResult<()>> {
                Box::pin(async move {
                    let (mut context, stack) = worker_context(&ctx);
                    context.insert("call_id_stack".to_string(), stack);
                    EVENTS_RECEIVED.lock().unwrap().push(json!({
                        "handler": "service_pool", "payload": payload, "context": context,
                    }));
                    Ok(())
                })
            }),
        )
        .start();
    if let Err(error) = result {
        eprintln!("girolle service stopped with an error: {}", error);
        std::process::exit(1);
    }
}
