//! Subscriptions to server events, the same on both eras.
//!
//! On 2026-07-28 a subscription is a `subscriptions/listen` request whose notifications
//! carry its id; on the legacy era it is `resources/subscribe` for each URI plus the
//! list-change notifications the session receives anyway.

use std::collections::HashMap;

use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};

use super::Client;
use crate::error::Error;
use crate::jsonrpc::{self, RawNotification, RequestId};
use crate::methods::{self, Method, NotificationMethod};
use crate::types::{
    CancelledNotificationParams, NotificationMeta, SubscribeRequestParams, SubscriptionFilter,
    SubscriptionsListenRequestParams,
};
use crate::version::Era;

/// Something that changed on the server.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The tool list changed.
    ToolsListChanged,
    /// The prompt list changed.
    PromptsListChanged,
    /// The resource list changed.
    ResourcesListChanged,
    /// A subscribed resource changed.
    ResourceUpdated {
        /// Its URI.
        uri: String,
    },
    /// A followed task changed (`notifications/tasks`, tasks extension). Read its payload
    /// with [`Client::get_task`].
    TaskStatus {
        /// The task.
        task_id: String,
        /// Its new status.
        status: crate::types::TaskStatus,
    },
}

impl ServerEvent {
    fn wanted_by(&self, f: &SubscriptionFilter) -> bool {
        match self {
            ServerEvent::ToolsListChanged => f.tools_list_changed == Some(true),
            ServerEvent::PromptsListChanged => f.prompts_list_changed == Some(true),
            ServerEvent::ResourcesListChanged => f.resources_list_changed == Some(true),
            ServerEvent::ResourceUpdated { uri } => f
                .resource_subscriptions
                .as_ref()
                .is_some_and(|u| u.iter().any(|x| x == uri)),
            ServerEvent::TaskStatus { task_id, .. } => f
                .task_ids
                .as_ref()
                .is_some_and(|ids| ids.iter().any(|x| x == task_id)),
        }
    }
}

struct Route {
    filter: SubscriptionFilter,
    tx: mpsc::UnboundedSender<ServerEvent>,
    ack: Option<oneshot::Sender<SubscriptionFilter>>,
}

/// Where server notifications go: listen streams by id, legacy subscriptions by filter.
#[derive(Default)]
pub(crate) struct Routes {
    listens: HashMap<RequestId, Route>,
    legacy: HashMap<u64, Route>,
    next: u64,
}

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    uri: Option<String>,
    #[serde(rename = "_meta", default)]
    meta: Option<NotificationMeta>,
    #[serde(default)]
    notifications: Option<SubscriptionFilter>,
    #[serde(rename = "requestId", default)]
    request_id: Option<RequestId>,
    #[serde(rename = "taskId", default)]
    task_id: Option<String>,
    /// Parsed only for `notifications/tasks`.
    #[serde(default)]
    status: Option<serde_json::Value>,
}

impl Routes {
    pub(crate) fn dispatch(&mut self, n: &RawNotification) {
        let params: Params = n
            .params
            .as_ref()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default();
        let sub = params.meta.as_ref().and_then(|m| m.subscription_id.clone());
        let event = match &*n.method {
            "notifications/subscriptions/acknowledged" => {
                if let Some(ack) = sub
                    .and_then(|id| self.listens.get_mut(&id))
                    .and_then(|route| route.ack.take())
                {
                    let _ = ack.send(params.notifications.unwrap_or_default());
                }
                return;
            }
            "notifications/cancelled" => {
                // The server tore a listen stream down.
                if let Some(id) = params.request_id {
                    self.listens.remove(&id);
                }
                return;
            }
            "notifications/tools/list_changed" => ServerEvent::ToolsListChanged,
            "notifications/prompts/list_changed" => ServerEvent::PromptsListChanged,
            "notifications/resources/list_changed" => ServerEvent::ResourcesListChanged,
            "notifications/resources/updated" => match params.uri {
                Some(uri) => ServerEvent::ResourceUpdated { uri },
                None => return,
            },
            "notifications/tasks" => {
                let status = params.status.and_then(|s| serde_json::from_value(s).ok());
                match (params.task_id, status) {
                    (Some(task_id), Some(status)) => ServerEvent::TaskStatus { task_id, status },
                    _ => return,
                }
            }
            _ => return,
        };
        match sub {
            Some(id) => {
                if let Some(route) = self.listens.get(&id) {
                    let _ = route.tx.send(event);
                }
            }
            None => {
                for route in self.legacy.values() {
                    if event.wanted_by(&route.filter) {
                        let _ = route.tx.send(event.clone());
                    }
                }
            }
        }
    }

    pub(crate) fn close_all(&mut self) {
        self.listens.clear();
        self.legacy.clear();
    }
}

enum End {
    Listen {
        client: Client,
        id: RequestId,
        task: tokio::task::JoinHandle<()>,
    },
    Legacy {
        client: Client,
        key: u64,
        uris: Vec<String>,
    },
}

/// A stream of [`ServerEvent`]s. Dropping it ends the subscription.
pub struct Subscription {
    rx: mpsc::UnboundedReceiver<ServerEvent>,
    acknowledged: SubscriptionFilter,
    end: Option<End>,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("acknowledged", &self.acknowledged)
            .finish()
    }
}

impl Subscription {
    /// The next event; `None` once the subscription ended (the server closed it or the
    /// connection dropped).
    pub async fn next(&mut self) -> Option<ServerEvent> {
        self.rx.recv().await
    }

    /// What the server agreed to send.
    pub fn acknowledged(&self) -> &SubscriptionFilter {
        &self.acknowledged
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        match self.end.take() {
            Some(End::Listen { client, id, task }) => {
                // Aborting the request sends `notifications/cancelled` for it.
                task.abort();
                client.inner.routes.lock().unwrap().listens.remove(&id);
            }
            Some(End::Legacy { client, key, uris }) => {
                client.inner.routes.lock().unwrap().legacy.remove(&key);
                if uris.is_empty() {
                    return;
                }
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    rt.spawn(async move {
                        for uri in uris {
                            let _ = client
                                .request::<methods::Unsubscribe>(
                                    SubscribeRequestParams::new(uri),
                                    super::RequestOptions::default(),
                                )
                                .await;
                        }
                    });
                }
            }
            None => {}
        }
    }
}

pub(crate) async fn subscribe(
    client: &Client,
    filter: SubscriptionFilter,
) -> Result<Subscription, Error> {
    match client.protocol_version().era() {
        Era::Modern => listen(client, filter).await,
        Era::Legacy => legacy(client, filter).await,
    }
}

async fn listen(client: &Client, filter: SubscriptionFilter) -> Result<Subscription, Error> {
    let id = client.pending().allocate_id();
    let (tx, rx) = mpsc::unbounded_channel();
    let (ack_tx, ack_rx) = oneshot::channel();
    client.inner.routes.lock().unwrap().listens.insert(
        id.clone(),
        Route {
            filter: filter.clone(),
            tx,
            ack: Some(ack_tx),
        },
    );
    let params = client.params_for(&SubscriptionsListenRequestParams::new(filter))?;
    let (done_tx, mut done_rx) = oneshot::channel();
    let c = client.clone();
    let rid = id.clone();
    let task = tokio::spawn(async move {
        let outbound = c.outbound().clone();
        let on_cancel = |id: RequestId| {
            let p = CancelledNotificationParams::new(id, Some("subscription dropped".into()));
            if let Ok(text) = jsonrpc::encode_notification(methods::Cancelled::NAME, Some(&p)) {
                outbound.send(text);
            }
        };
        let outcome = c
            .pending()
            .request_as(
                rid.clone(),
                &*c.outbound().clone(),
                methods::SubscriptionsListen::NAME,
                Some(&params),
                Some(&on_cancel),
            )
            .await;
        // The stream ended (gracefully or not): no more events.
        c.inner.routes.lock().unwrap().listens.remove(&rid);
        let _ = done_tx.send(outcome.map(drop));
    });
    let timeout = client.inner.config.request_timeout;
    let ended = |done: Result<Result<(), Error>, oneshot::error::RecvError>| match done {
        Ok(Err(e)) => e,
        _ => Error::InvalidResponse("subscriptions/listen ended before it was acknowledged".into()),
    };
    let acknowledged = tokio::select! {
        ack = ack_rx => match ack {
            Ok(ack) => Some(ack),
            // The route went away: the request ended (an error answer) before any
            // acknowledgement; report how it ended.
            Err(_) => return Err(ended((&mut done_rx).await)),
        },
        done = &mut done_rx => {
            client.inner.routes.lock().unwrap().listens.remove(&id);
            return Err(ended(done));
        }
        _ = tokio::time::sleep(timeout) => None,
    };
    let Some(acknowledged) = acknowledged else {
        task.abort();
        client.inner.routes.lock().unwrap().listens.remove(&id);
        return Err(Error::Timeout(timeout));
    };
    Ok(Subscription {
        rx,
        acknowledged,
        end: Some(End::Listen {
            client: client.clone(),
            id,
            task,
        }),
    })
}

async fn legacy(client: &Client, filter: SubscriptionFilter) -> Result<Subscription, Error> {
    let caps = client.server_capabilities();
    let mut acknowledged = SubscriptionFilter::new();
    let list_changed = |c: Option<bool>| (c == Some(true)).then_some(true);
    if filter.tools_list_changed == Some(true) {
        acknowledged.tools_list_changed =
            list_changed(caps.tools.as_ref().and_then(|t| t.list_changed));
    }
    if filter.prompts_list_changed == Some(true) {
        acknowledged.prompts_list_changed =
            list_changed(caps.prompts.as_ref().and_then(|t| t.list_changed));
    }
    if filter.resources_list_changed == Some(true) {
        acknowledged.resources_list_changed =
            list_changed(caps.resources.as_ref().and_then(|t| t.list_changed));
    }
    let can_subscribe = caps.resources.as_ref().and_then(|r| r.subscribe) == Some(true);
    let mut uris = Vec::new();
    if can_subscribe {
        for uri in filter.resource_subscriptions.iter().flatten() {
            client
                .request::<methods::Subscribe>(
                    SubscribeRequestParams::new(uri.clone()),
                    super::RequestOptions::default(),
                )
                .await?;
            uris.push(uri.clone());
        }
    }
    if !uris.is_empty() {
        acknowledged.resource_subscriptions = Some(uris.clone());
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let key = {
        let mut routes = client.inner.routes.lock().unwrap();
        routes.next += 1;
        let key = routes.next;
        routes.legacy.insert(
            key,
            Route {
                filter: acknowledged.clone(),
                tx,
                ack: None,
            },
        );
        key
    };
    Ok(Subscription {
        rx,
        acknowledged,
        end: Some(End::Legacy {
            client: client.clone(),
            key,
            uris,
        }),
    })
}
