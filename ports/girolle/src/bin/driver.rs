//! Client driver (spec/16) for girolle's `RpcClient`.
//!
//! girolle's client has no context data, no per-call (or any) timeout and needs every target service registered
//! first (`register_service`, which also declares the service's `rpc-<service>` queue). The driver uses exactly
//! that API: it registers each service of the job, publishes every call with `call_async` before it waits for
//! the first reply (DRIVER-4), then waits for each with `result`. The job's `context` and `timeout` cannot be
//! given to girolle and are therefore not sent; a call whose reply never comes blocks the driver until the kit
//! stops it (girolle has no timeout). Outcomes are written as one JSON document on stdout; girolle logs through
//! `tracing`, which has no subscriber here, so nothing else reaches stdout.
use girolle::prelude::*;
use girolle::GirolleError;
use lapin::options::QueueDeleteOptions;
use std::io::Read;

fn error_outcome(kind: &str, exc_type: &str, message: String) -> Value {
    json!({"error": {"kind": kind, "exc_type": exc_type, "message": message}})
}

/// The outcome for one girolle error, as girolle classifies it: its three named kinds, a remote error with the
/// `exc_type` the reply carried, anything else as the error girolle raised.
fn outcome_for(error: &GirolleError) -> Value {
    match error {
        GirolleError::MethodNotFound(m) => error_outcome("MethodNotFound", "MethodNotFound", m.clone()),
        GirolleError::IncorrectSignature(m) => error_outcome("IncorrectSignature", "IncorrectSignature", m.clone()),
        GirolleError::UnknownService(m) => error_outcome("UnknownService", "UnknownService", m.clone()),
        GirolleError::RemoteError(remote) => {
            // RemoteError's fields are private; its public Serialize impl gives them.
            let fields = serde_json::to_value(remote).unwrap_or(Value::Null);
            let exc_type = fields["exc_type"].as_str().unwrap_or("").to_string();
            let value = fields["value"].as_str().unwrap_or("").to_string();
            error_outcome("remote", &exc_type, value)
        }
        other => error_outcome("protocol", "GirolleError", other.to_string()),
    }
}

fn payload_of(call: &Value) -> Payload {
    let mut payload = Payload::new();
    for arg in call["args"].as_array().cloned().unwrap_or_default() {
        payload = payload.arg(arg);
    }
    if let Some(kwargs) = call["kwargs"].as_object() {
        for (key, value) in kwargs {
            payload = payload.kwarg(key, value.clone());
        }
    }
    payload
}

#[tokio::main]
async fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("read the job from stdin");
    let job: Value = match serde_json::from_str(&input) {
        Ok(job) => job,
        Err(error) => {
            eprintln!("the job is not JSON: {}", error);
            std::process::exit(2);
        }
    };
    let uri = std::env::var("NAMEKO_CONFORMANCE_AMQP_URI").expect("NAMEKO_CONFORMANCE_AMQP_URI is required");
    let exchange =
        std::env::var("NAMEKO_CONFORMANCE_RPC_EXCHANGE").unwrap_or_else(|_| "nameko-rpc".to_string());
    let calls = job["calls"].as_array().cloned().unwrap_or_default();

    let mut client = RpcClient::new(Config::default().with_amqp_uri(&uri).with_rpc_exchange(&exchange));
    let mut registered: Vec<String> = Vec::new();
    for call in &calls {
        let service = call["service"].as_str().unwrap_or("").to_string();
        if !registered.contains(&service) {
            if let Err(error) = client.register_service(&service).await {
                eprintln!("register_service({}) failed: {}", service, error);
            }
            registered.push(service);
        }
    }
    if let Err(error) = client.start().await {
        eprintln!("starting the girolle client failed: {}", error);
        std::process::exit(1);
    }
    let pending: Vec<Result<RpcReply, GirolleError>> = calls
        .iter()
        .map(|call| {
            client.call_async(
                call["service"].as_str().unwrap_or(""),
                call["method"].as_str().unwrap_or(""),
                payload_of(call),
            )
        })
        .collect();
    let outcomes: Vec<Value> = pending
        .iter()
        .map(|reply| match reply {
            Err(error) => outcome_for(error),
            Ok(reply) => match client.result(reply) {
                Ok(result) => json!({"result": result.get_value()}),
                Err(error) => outcome_for(&error),
            },
        })
        .collect();
    println!("{}", json!({"outcomes": outcomes}));

    // girolle's reply queue outlives the client for 5 minutes (x-expires); the driver removes it at once.
    let reply_queue = format!("rpc.listener-{}", client.get_identifier());
    if let Err(error) = client.close().await {
        eprintln!("closing the girolle client failed: {}", error);
    }
    if let Ok(connection) = lapin::Connection::connect(&uri, lapin::ConnectionProperties::default()).await {
        if let Ok(channel) = connection.create_channel().await {
            let _ = channel.queue_delete(&reply_queue, QueueDeleteOptions::default()).await;
        }
        let _ = connection.close(200, "bye").await;
    }
}
