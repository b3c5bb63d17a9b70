//! `/admin/endpoints`: the Docker engines Opsdeck drives and the
//! environments placed on them.

use super::api::{list_endpoints, list_environments, CreateEndpoint, CreateEnvironment};
use super::api::{ListEndpoints, ListEnvironments};
use super::{EndpointView, EnvironmentView, SwarmView};
use crate::layout::ask;
use crate::layout::ui::*;
use crate::layout::{reload_on, ErrorNotice, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// An island page (`app::ISLAND_PAGES`): the server reads the endpoints
/// (asking each engine) and the environments, and hands both to
/// [`EndpointsEditor`], which holds the tables and the forms that add to
/// them.
#[component]
pub fn EndpointsPage() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| list_endpoints());
    let environments = Resource::new(|| (), |_| list_environments());
    view! {
        <Title text="Endpoints"/>
        <PageHeader title="Endpoints and environments" subtitle="Docker engines Opsdeck drives, and the environments each one hosts."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Asking the engines…"</p> }>
            {move || Suspend::new(async move {
                let (endpoints, environments) = (endpoints.await, environments.await);
                view! { <EndpointsEditor endpoints=endpoints environments=environments/> }
            })}
        </Suspense>
    }
}

crate::island! {
    /// Both tables and both forms; each list is read again after an addition.
    fn EndpointsEditor(
        endpoints: Result<Vec<EndpointView>, AppError>,
        environments: Result<Vec<EnvironmentView>, AppError>,
    ) -> impl IntoView {
        let create_endpoint = Post::to::<CreateEndpoint>();
        let create_environment = Post::to::<CreateEnvironment>();
        let versions = move || {
            (
                create_endpoint.version().get(),
                create_environment.version().get(),
            )
        };
        let endpoints = RwSignal::new(endpoints);
        let environments = RwSignal::new(environments);
        reload_on(versions, endpoints, || ask::<ListEndpoints>(&[]));
        reload_on(versions, environments, || ask::<ListEnvironments>(&[]));
        let error = Signal::derive(move || {
            let a = create_endpoint.value().get().and_then(Result::err);
            a.or_else(|| create_environment.value().get().and_then(Result::err))
        });
        view! {
            <ActionError error=error/>
            {move || match endpoints.get() {
                Ok(list) => view! { <EndpointTable endpoints=list/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            <PostForm action=create_endpoint attr:class=format!("{CARD} mt-4 flex flex-wrap items-end gap-3") attr:data-test="create-endpoint">
                <label class=LABEL>"Name" <input name="name" required placeholder="prod-1" class=INPUT/></label>
                <label class=LABEL>"Engine address" <input name="url" placeholder="tcp://10.0.0.5:2376" class=INPUT/></label>
                <label class=LABEL>"Runs services as"
                    <select name="mode" class=INPUT>
                        <option value="standalone">"containers (Opsdeck rolls out)"</option>
                        <option value="swarm">"Swarm services (the engine rolls out)"</option>
                    </select>
                </label>
                <label class=LABEL>"CA file" <input name="tls_ca" placeholder="/etc/opsdeck/prod-1/ca.pem" class=INPUT/></label>
                <label class=LABEL>"Client certificate" <input name="tls_cert" placeholder="…/cert.pem" class=INPUT/></label>
                <label class=LABEL>"Client key" <input name="tls_key" placeholder="…/key.pem" class=INPUT/></label>
                <button type="submit" class=BUTTON_PRIMARY>"Add endpoint"</button>
            </PostForm>
            <p class="mt-2 text-xs text-slate-500">"An empty address is this host's own engine. Give all three TLS files (as for docker --tlsverify) or none; the files stay on this host and are read when connecting. Swarm services need a Swarm manager's address and a command health check."</p>
            <h2 class=H2>"Environments"</h2>
            {move || match environments.get() {
                Ok(list) => view! { <EnvironmentTable environments=list/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
            {move || {
                let names: Vec<String> = endpoints.get().unwrap_or_default().into_iter().map(|e| e.name).collect();
                view! { <EnvironmentForm action=create_environment endpoints=names/> }
            }}
        }
    }
}

#[component]
fn EndpointTable(endpoints: Vec<EndpointView>) -> impl IntoView {
    let rows = endpoints
        .into_iter()
        .map(|e| {
            let colour = if e.reachable { "text-emerald-700 dark:text-emerald-300" } else { "text-red-700 dark:text-red-300" };
            let test = format!("endpoint-{}", e.name);
            view! {
                <tr class=ROW data-test=test>
                    <td class=CELL>{e.name}</td>
                    <td class=format!("{CELL} font-mono text-xs")>{e.address}</td>
                    <td class=format!("{CELL} text-xs")>{if e.tls { "TLS (client certificate)" } else { "plain" }}</td>
                    <td class=format!("{CELL} text-xs") data-test="endpoint-mode">{if e.mode == "swarm" { "Swarm services" } else { "containers" }}</td>
                    <td class=format!("{CELL} text-xs {colour}") data-test="endpoint-status">{e.status}</td>
                    <td class=format!("{CELL} text-xs") data-test="endpoint-swarm"><SwarmCell swarm=e.swarm/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="endpoints-table" headers=&["Endpoint", "Address", "Transport", "Runs", "Status", "Swarm"]>{rows}</DataTable>
    }
}

/// The engine's swarm: its role and, from a manager, each node's state.
#[component]
fn SwarmCell(swarm: Option<SwarmView>) -> impl IntoView {
    let Some(swarm) = swarm else {
        return view! { <span class="text-slate-500">"not in a swarm"</span> }.into_any();
    };
    let role = if swarm.manager {
        "manager"
    } else {
        "worker (lists no nodes)"
    };
    let count = swarm.nodes.len();
    let nodes = swarm
        .nodes
        .into_iter()
        .map(|n| {
            let colour = if n.state == "ready" {
                "text-emerald-700 dark:text-emerald-300"
            } else {
                "text-red-700 dark:text-red-300"
            };
            view! {
                <li data-test="swarm-node">
                    <span class="font-mono">{n.hostname}</span>
                    {format!(" · {} · ", n.role)}
                    <span class=colour>{n.state}</span>
                    {format!(" · {} · Docker {}", n.availability, n.engine)}
                </li>
            }
        })
        .collect_view();
    view! {
        <div>{format!("{role}, {count} node(s)")}</div>
        <ul>{nodes}</ul>
    }
    .into_any()
}

#[component]
fn EnvironmentTable(environments: Vec<EnvironmentView>) -> impl IntoView {
    let rows = environments
        .into_iter()
        .map(|e| {
            let test = format!("environment-{}", e.name);
            view! {
                <tr class=ROW data-test=test>
                    <td class=CELL>{e.name}</td><td class=CELL>{e.endpoint}{e.swarm.then_some(" (Swarm)")}</td>
                    <td class=format!("{CELL} font-mono text-xs")>{e.network}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable test="environments-table" headers=&["Environment", "Endpoint", "Docker network"]>{rows}</DataTable>
    }
}

#[component]
fn EnvironmentForm(action: PostOf<CreateEnvironment>, endpoints: Vec<String>) -> impl IntoView {
    let options = endpoints
        .into_iter()
        .map(|e| {
            let label = e.clone();
            view! { <option value=e>{label}</option> }
        })
        .collect_view();
    view! {
        <PostForm action=action attr:class=format!("{CARD} mt-4 flex flex-wrap items-end gap-3") attr:data-test="create-environment">
            <label class=LABEL>"Name" <input name="name" required placeholder="staging" class=INPUT/></label>
            <label class=LABEL>"Endpoint" <select name="endpoint" class=INPUT>{options}</select></label>
            <button type="submit" class=BUTTON_PRIMARY>"Add environment"</button>
        </PostForm>
    }
}
