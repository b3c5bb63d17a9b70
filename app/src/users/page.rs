use super::api::{CreateUser, ResetUserPassword, SetUserDisabled, SetUserRoles, UnlockUser};
use super::{list_users, UserSummary};
use crate::auth::Role;
use crate::format::minute_or_never;
use crate::layout::ui::{DataTable, BUTTON, CELL, INPUT, ROW};
use crate::layout::{first_error, reload_on, ActionError, ErrorNotice, PageHeader};
use crate::layout::{Post, PostForm, PostOf};
use crate::AppError;
use leptos::prelude::*;
use leptos_meta::Title;

/// The actions of this page; the list reloads after any of them.
#[derive(Clone, Copy)]
struct Actions {
    create: PostOf<CreateUser>,
    roles: PostOf<SetUserRoles>,
    disabled: PostOf<SetUserDisabled>,
    unlock: PostOf<UnlockUser>,
    reset: PostOf<ResetUserPassword>,
}

impl Actions {
    fn versions(&self) -> [usize; 5] {
        [
            self.create.version().get(),
            self.roles.version().get(),
            self.disabled.version().get(),
            self.unlock.version().get(),
            self.reset.version().get(),
        ]
    }

    /// The error of the most recent failed action, if the last one failed.
    fn last_error(&self) -> Option<AppError> {
        first_error([
            self.create.value().get(),
            self.roles.value().get(),
            self.disabled.value().get(),
            self.unlock.value().get(),
            self.reset.value().get(),
        ])
    }
}

/// `/admin/users`: create users, set roles, disable, unlock, reset passwords.
///
/// An island page (`app::ISLAND_PAGES`): the server reads the list and
/// hands it to [`UsersView`], which holds every form and the table.
#[component]
pub fn UsersPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| list_users());
    view! {
        <Title text="Users"/>
        <PageHeader title="Users" subtitle="Who can sign in, and with which roles."/>
        <Suspense fallback=|| view! { <p class="text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move { view! { <UsersView first=first.await/> } })}
        </Suspense>
    }
}

crate::island! {
    /// The forms and the table; the list is read again after every action.
    fn UsersView(first: Result<Vec<UserSummary>, AppError>) -> impl IntoView {
        let actions = Actions {
            create: Post::to::<CreateUser>(),
            roles: Post::to::<SetUserRoles>(),
            disabled: Post::to::<SetUserDisabled>(),
            unlock: Post::to::<UnlockUser>(),
            reset: Post::to::<ResetUserPassword>(),
        };
        let users = RwSignal::new(first);
        reload_on(move || actions.versions(), users, || crate::layout::ask::<super::ListUsers>(&[]));
        view! {
            <ActionError error=Signal::derive(move || actions.last_error())/>
            {move || match users.get() {
                Ok(list) => view! { <CreateForm actions=actions/> <UsersTable users=list actions=actions/> }.into_any(),
                Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
            }}
        }
    }
}

#[component]
fn RoleBoxes(roles: Vec<Role>) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|r| {
            let checked = roles.contains(&r);
            view! {
                <label class="mr-2 inline-flex items-center gap-1 text-xs">
                    <input type="checkbox" name=r.as_str() checked=checked/>
                    {r.as_str()}
                </label>
            }
        })
        .collect_view()
}

#[component]
fn CreateForm(actions: Actions) -> impl IntoView {
    view! {
        <PostForm action=actions.create attr:class="mb-6 flex flex-wrap items-end gap-3 rounded-md border border-slate-200 p-4 dark:border-slate-800" attr:data-test="create-user">
            <input name="username" placeholder="username" required class=INPUT/>
            <input name="display_name" placeholder="display name" class=INPUT/>
            <input name="password" type="password" placeholder="password (12+ characters)" required autocomplete="new-password" class=INPUT/>
            <div><RoleBoxes roles=vec![Role::Viewer]/></div>
            <button type="submit" class=BUTTON>"Create user"</button>
        </PostForm>
    }
}

#[component]
fn UsersTable(users: Vec<UserSummary>, actions: Actions) -> impl IntoView {
    view! {
        <DataTable test="users-table" headers=&["User", "Roles", "State", "Last sign-in", "Password"]>
                    {users.into_iter().map(|u| view! { <UserRow user=u actions=actions/> }).collect_view()}
                </DataTable>
    }
}

#[component]
fn UserRow(user: UserSummary, actions: Actions) -> impl IntoView {
    let name = user.username.clone();
    let state = match (user.disabled, user.locked_until) {
        (true, _) => "disabled".to_string(),
        (false, Some(t)) => format!("locked until {}", t.format("%H:%M UTC")),
        _ => "active".to_string(),
    };
    let unlock = user.locked_until.is_some().then(|| {
        let name = name.clone();
        view! {
            <PostForm action=actions.unlock>
                <input type="hidden" name="username" value=name/>
                <button type="submit" class=BUTTON>"Unlock"</button>
            </PostForm>
        }
    });
    let test = format!("user-{name}");
    let (for_roles, for_disable, for_reset) = (name.clone(), name.clone(), name.clone());
    view! {
        <tr class=format!("{ROW} align-top") data-test=test>
            <td class=CELL><div class="font-mono">{name.clone()}</div><div class="text-xs text-slate-500">{user.display_name}</div></td>
            <td class=CELL>
                <PostForm action=actions.roles>
                    <input type="hidden" name="username" value=for_roles/>
                    <RoleBoxes roles=user.roles/>
                    <button type="submit" class=BUTTON>"Save roles"</button>
                </PostForm>
            </td>
            <td class=CELL>
                <div data-test="user-state">{state}</div>
                <div class="mt-1 flex gap-2">
                    <PostForm action=actions.disabled>
                        <input type="hidden" name="username" value=for_disable/>
                        <input type="hidden" name="disabled" value=(!user.disabled).to_string()/>
                        <button type="submit" class=BUTTON>{if user.disabled { "Enable" } else { "Disable" }}</button>
                    </PostForm>
                    {unlock}
                </div>
            </td>
            <td class=format!("{CELL} text-xs")>{minute_or_never(user.last_login_at)}</td>
            <td class=CELL>
                <PostForm action=actions.reset attr:class="flex gap-2">
                    <input type="hidden" name="username" value=for_reset/>
                    <input type="password" name="password" placeholder="new password" required autocomplete="new-password" class=INPUT/>
                    <button type="submit" class=BUTTON>"Reset"</button>
                </PostForm>
            </td>
        </tr>
    }
}
