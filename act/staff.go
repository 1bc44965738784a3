package act

import (
	"context"
	"slices"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/auth"
)

// Whoami is who the caller is as staff.
type Whoami struct {
	// Account is nil for the owner token.
	Account *koe.Account `json:"account"`
	Admin   bool         `json:"admin"`
	// Via is how the caller authenticated: session, api_token, owner_token.
	Via string `json:"via"`
	// Events maps the events the caller is staff of to its role there
	// (an admin is owner of every event, listed or not).
	Events map[int64]koe.Role `json:"events"`
}

// Whoami returns who the caller is as staff.
func (a *Actions) Whoami(ctx context.Context) (*Whoami, error) {
	p := koe.PrincipalFrom(ctx)
	if !p.IsStaff() {
		return nil, koe.Errorf(koe.EUNAUTHORIZED, "not signed in")
	}
	w := &Whoami{Admin: p.Admin, Via: p.Via, Events: map[int64]koe.Role{}}
	for e, r := range p.Staff {
		w.Events[e] = r
	}
	if p.AccountID != 0 {
		acct, err := a.store.Account(ctx, p.AccountID)
		if err != nil {
			return nil, err
		}
		w.Account = acct
	}
	return w, nil
}

// Accounts lists every staff account (admins only).
func (a *Actions) Accounts(ctx context.Context) ([]*koe.Account, error) {
	if _, _, err := a.begin(ctx, ManageAccounts, 0); err != nil {
		return nil, err
	}
	return a.store.Accounts(ctx)
}

// CreateAccount makes a staff account with a password (admins only): for
// a meetup whose organizer signs the team up without invitations.
func (a *Actions) CreateAccount(ctx context.Context, in NewAccount) (*koe.Account, error) {
	ctx, _, err := a.begin(ctx, ManageAccounts, 0)
	if err != nil {
		return nil, err
	}
	acct, err := a.newAccount(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := a.store.CreateAccount(ctx, acct); err != nil {
		return nil, err
	}
	return acct, nil
}

// MyAccountPatch changes one's own account; nil fields stay.
type MyAccountPatch struct {
	DisplayName *string `json:"display_name"`
	Email       *string `json:"email"`
	// PasskeyRequired makes a passkey the second factor of a password
	// sign-in; it can be turned on only while the account has a passkey
	// (an admin turning it off for another account is the way back in
	// for someone who lost theirs).
	PasskeyRequired *bool `json:"passkey_required"`
}

// AccountPatch changes an account (admins); nil fields stay.
type AccountPatch struct {
	MyAccountPatch
	Admin    *bool `json:"admin"`
	Disabled *bool `json:"disabled"`
}

// UpdateAccount changes an account (admins only). Disabling an account
// ends its sessions at once; the last admin cannot be disabled or made
// an ordinary account (the owner token would be the only way back in).
func (a *Actions) UpdateAccount(ctx context.Context, id int64, in AccountPatch) (*koe.Account, error) {
	ctx, _, err := a.begin(ctx, ManageAccounts, 0)
	if err != nil {
		return nil, err
	}
	u, err := accountUpdate(in.MyAccountPatch)
	if err != nil {
		return nil, err
	}
	u.Admin, u.Disabled = in.Admin, in.Disabled
	cur, err := a.store.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	if cur.Admin && !cur.Disabled && (in.Admin != nil && !*in.Admin || in.Disabled != nil && *in.Disabled) {
		n, err := a.store.CountAdmins(ctx)
		if err != nil {
			return nil, err
		}
		if n <= 1 {
			return nil, koe.Errorf(koe.ECONFLICT, "this is the last admin: make another admin first")
		}
	}
	acct, err := a.store.UpdateAccount(ctx, id, u)
	if err != nil {
		return nil, err
	}
	if acct.Disabled {
		if _, err := a.store.RevokeSessions(ctx, id, 0, 0); err != nil {
			return nil, err
		}
	}
	return acct, nil
}

func accountUpdate(in MyAccountPatch) (koe.AccountUpdate, error) {
	u := koe.AccountUpdate{PasskeyRequired: in.PasskeyRequired}
	if in.DisplayName != nil {
		name, err := koe.CleanLine("display_name", *in.DisplayName, 1, koe.MaxDisplayNameLen)
		if err != nil {
			return u, err
		}
		u.DisplayName = &name
	}
	if in.Email != nil {
		email, err := cleanEmail(*in.Email)
		if err != nil {
			return u, err
		}
		u.Email = &email
	}
	return u, nil
}

// UpdateMyAccount changes the caller's own display name and e-mail.
func (a *Actions) UpdateMyAccount(ctx context.Context, in MyAccountPatch) (*koe.Account, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	u, err := accountUpdate(in)
	if err != nil {
		return nil, err
	}
	return a.store.UpdateAccount(a.staffOrigin(ctx, p), p.AccountID, u)
}

// PasswordChange replaces the caller's password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// ChangePassword checks the caller's current password and sets a new one;
// every other session of the account ends.
func (a *Actions) ChangePassword(ctx context.Context, in PasswordChange) error {
	p, err := ownAccount(ctx)
	if err != nil {
		return err
	}
	acct, err := a.store.Account(ctx, p.AccountID)
	if err != nil {
		return err
	}
	if acct.PasswordHash != "" {
		if err := a.backoff.wait(acct.Login); err != nil {
			return err
		}
		ok, err := a.passwords.Verify(ctx, acct.PasswordHash, in.Current)
		if err != nil {
			return err
		}
		if !ok {
			a.backoff.failed(acct.Login)
			return koe.Errorf(koe.EFORBIDDEN, "the current password is wrong")
		}
	}
	if err := auth.CheckNewPassword(in.New, acct.Login, acct.DisplayName, acct.Email, localPart(acct.Email)); err != nil {
		return err
	}
	hash, err := a.passwords.Hash(ctx, in.New)
	if err != nil {
		return err
	}
	octx := a.staffOrigin(ctx, p)
	if _, err := a.store.UpdateAccount(octx, p.AccountID, koe.AccountUpdate{PasswordHash: &hash}); err != nil {
		return err
	}
	_, err = a.store.RevokeSessions(octx, p.AccountID, 0, p.SessionID)
	return err
}

// StaffMember is one member of an event's staff.
type StaffMember struct {
	*koe.Membership
	Login       string `json:"login"`
	DisplayName string `json:"display_name"`
}

// Staff lists an event's staff (owners only).
func (a *Actions) Staff(ctx context.Context, eventID int64) ([]StaffMember, error) {
	if _, _, err := a.begin(ctx, ManageStaff, eventID); err != nil {
		return nil, err
	}
	ms, err := a.store.Memberships(ctx, eventID, 0)
	if err != nil {
		return nil, err
	}
	out := make([]StaffMember, 0, len(ms))
	for _, m := range ms {
		acct, err := a.store.Account(ctx, m.AccountID)
		if err != nil {
			return nil, err
		}
		out = append(out, StaffMember{Membership: m, Login: acct.Login, DisplayName: acct.DisplayName})
	}
	return out, nil
}

// StaffRole is a role in an event, and for a presenter the talks it is
// limited to (none: all).
type StaffRole struct {
	Role  koe.Role `json:"role"`
	Talks []int64  `json:"talks"`
}

// talks are the talks the role is limited to, sorted, once each: none
// for a role other than presenter, which talks do not limit.
func (in StaffRole) talks() []int64 {
	if in.Role != koe.RolePresenter {
		return []int64{}
	}
	return slices.Compact(slices.Sorted(slices.Values(in.Talks)))
}

// validateRole checks the role and that its talks are the event's.
func (a *Actions) validateRole(ctx context.Context, eventID int64, in StaffRole) error {
	if !koe.ValidEventRole(in.Role) {
		return koe.Errorf(koe.EINVALID, "role must be owner, moderator or presenter")
	}
	if len(in.Talks) > maxTalksPerRole {
		return koe.Errorf(koe.EINVALID, "at most %d talks", maxTalksPerRole)
	}
	for _, t := range in.talks() {
		if _, err := a.store.Talk(ctx, eventID, t); koe.ErrorCode(err) == koe.ENOTFOUND {
			return koe.Errorf(koe.EINVALID, "talk %d is not in this event", t)
		} else if err != nil {
			return err
		}
	}
	return nil
}

const maxTalksPerRole = 100

// SetStaff gives an account a role in the event (owners only), replacing
// the one it had. The account's sessions get new ids on their next
// request.
func (a *Actions) SetStaff(ctx context.Context, eventID, accountID int64, in StaffRole) (*koe.Membership, error) {
	ctx, p, err := a.begin(ctx, ManageStaff, eventID)
	if err != nil {
		return nil, err
	}
	if err := a.validateRole(ctx, eventID, in); err != nil {
		return nil, err
	}
	if err := a.keepAnOwner(ctx, p, eventID, accountID, in.Role); err != nil {
		return nil, err
	}
	m := &koe.Membership{EventID: eventID, AccountID: accountID, Role: in.Role, Talks: in.talks()}
	if err := a.store.SetMembership(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveStaff takes an account out of the event's staff (owners only).
func (a *Actions) RemoveStaff(ctx context.Context, eventID, accountID int64) error {
	ctx, p, err := a.begin(ctx, ManageStaff, eventID)
	if err != nil {
		return err
	}
	if err := a.keepAnOwner(ctx, p, eventID, accountID, ""); err != nil {
		return err
	}
	return a.store.RemoveMembership(ctx, eventID, accountID)
}

// keepAnOwner refuses to leave an event without an owner by the hand of
// someone who is not an admin (an admin can always put one back).
func (a *Actions) keepAnOwner(ctx context.Context, p koe.Principal, eventID, accountID int64, role koe.Role) error {
	if p.Admin || role == koe.RoleOwner {
		return nil
	}
	ms, err := a.store.Memberships(ctx, eventID, 0)
	if err != nil {
		return err
	}
	owners, was := 0, false
	for _, m := range ms {
		if m.Role == koe.RoleOwner {
			owners++
			was = was || m.AccountID == accountID
		}
	}
	if was && owners == 1 {
		return koe.Errorf(koe.ECONFLICT, "this is the event's last owner: make someone else owner first")
	}
	return nil
}

// NewInvitation is an invitation as an owner makes it.
type NewInvitation struct {
	StaffRole
	// ExpiresIn is how long the link works, in hours (default 168: a
	// week; at most 720).
	ExpiresIn int `json:"expires_in_hours"`
}

// IssuedInvitation is a new invitation and its secret, shown once.
type IssuedInvitation struct {
	*koe.Invitation
	Token string `json:"token"`
}

// Invitation defaults and bounds.
const (
	defaultInvitationHours = 7 * 24
	maxInvitationHours     = 30 * 24
)

// Invite makes an invitation link to the event's staff (owners only).
func (a *Actions) Invite(ctx context.Context, eventID int64, in NewInvitation) (*IssuedInvitation, error) {
	ctx, p, err := a.begin(ctx, ManageStaff, eventID)
	if err != nil {
		return nil, err
	}
	if err := a.validateRole(ctx, eventID, in.StaffRole); err != nil {
		return nil, err
	}
	hours := in.ExpiresIn
	if hours == 0 {
		hours = defaultInvitationHours
	}
	if hours < 1 || hours > maxInvitationHours {
		return nil, koe.Errorf(koe.EINVALID, "expires_in_hours must be 1–%d", maxInvitationHours)
	}
	secret := auth.NewSecret(auth.InvitationPrefix)
	inv := &koe.Invitation{Hash: auth.Hash(secret), EventID: eventID, Role: in.Role, Talks: in.talks(),
		CreatedBy: p.AccountID, ExpiresAt: a.now().Add(time.Duration(hours) * time.Hour)}
	if err := a.store.CreateInvitation(ctx, inv); err != nil {
		return nil, err
	}
	return &IssuedInvitation{Invitation: inv, Token: secret}, nil
}

// Invitations lists the event's invitations (owners only).
func (a *Actions) Invitations(ctx context.Context, eventID int64) ([]*koe.Invitation, error) {
	if _, _, err := a.begin(ctx, ManageStaff, eventID); err != nil {
		return nil, err
	}
	return a.store.Invitations(ctx, eventID)
}

// RevokeInvitation deletes an unused invitation (owners only).
func (a *Actions) RevokeInvitation(ctx context.Context, eventID, id int64) error {
	ctx, _, err := a.begin(ctx, ManageStaff, eventID)
	if err != nil {
		return err
	}
	return a.store.RevokeInvitation(ctx, eventID, id)
}

// InvitationPreview is what the person invited sees before accepting.
type InvitationPreview struct {
	EventID    int64     `json:"event_id"`
	EventTitle string    `json:"event_title"`
	Role       koe.Role  `json:"role"`
	Talks      []string  `json:"talks"` // titles
	ExpiresAt  time.Time `json:"expires_at"`
}

// InvitationToken names an invitation by its secret.
type InvitationToken struct {
	Token string `json:"token"`
}

// PreviewInvitation shows what an invitation is for, without using it.
func (a *Actions) PreviewInvitation(ctx context.Context, in InvitationToken, addr string) (*InvitationPreview, error) {
	inv, err := a.findInvitation(ctx, in.Token, addr)
	if err != nil {
		return nil, err
	}
	e, err := a.store.Event(ctx, inv.EventID)
	if err != nil {
		return nil, err
	}
	pv := &InvitationPreview{EventID: e.ID, EventTitle: e.Title, Role: inv.Role, ExpiresAt: inv.ExpiresAt, Talks: []string{}}
	for _, id := range inv.Talks {
		if t, err := a.store.Talk(ctx, inv.EventID, id); err == nil {
			pv.Talks = append(pv.Talks, t.Title)
		}
	}
	return pv, nil
}

// findInvitation finds a usable invitation by its secret.
func (a *Actions) findInvitation(ctx context.Context, token, addr string) (*koe.Invitation, error) {
	gone := koe.Errorf(koe.ENOTFOUND, "this invitation is not valid: used, expired or revoked; ask for a new one")
	if token == "" {
		return nil, koe.Errorf(koe.EINVALID, "token is required: the part of the invitation link after #")
	}
	inv, err := a.store.InvitationByHash(ctx, auth.Hash(token))
	if koe.ErrorCode(err) == koe.ENOTFOUND || !auth.HasPrefix(token, auth.InvitationPrefix) {
		// A guess: it counts against the address like any unknown
		// credential, and is answered as a revoked one.
		if err := a.invalid(ctx, addr, ""); koe.ErrorCode(err) == koe.ERATELIMIT {
			return nil, err
		}
		return nil, gone
	}
	if err != nil {
		return nil, err
	}
	if inv.UsedAt != nil || !a.now().Before(inv.ExpiresAt) {
		return nil, gone
	}
	return inv, nil
}

// AcceptInvitation uses an invitation for the signed-in account: it
// becomes staff of the invitation's event in its role. It works once; an
// account that has a stronger role there keeps it (ECONFLICT).
func (a *Actions) AcceptInvitation(ctx context.Context, in InvitationToken, addr string) (*koe.Membership, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, koe.Errorf(koe.ErrorCode(err), "%s; or create an account with the invitation (POST /api/v1/invitations/signup)", koe.ErrorMessage(err))
	}
	if err := a.limiter.Allow(ctx, "signin.ip", addr); err != nil {
		return nil, err
	}
	inv, err := a.findInvitation(ctx, in.Token, addr)
	if err != nil {
		return nil, err
	}
	if held := p.Staff[inv.EventID]; held != "" && held.Stronger(inv.Role) {
		return nil, koe.Errorf(koe.ECONFLICT, "you are %s of this event already", held)
	}
	acct, err := a.store.Account(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	return a.store.AcceptInvitation(a.staffOrigin(ctx, p), inv.Hash, acct, now)
}

// SignUpRequest creates an account with an invitation.
type SignUpRequest struct {
	Token       string `json:"token"`
	Login       string `json:"login"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Password    string `json:"password"`
}

// SignUp uses an invitation to create an account, staff of the
// invitation's event in its role (one transaction, once), and signs it in.
func (a *Actions) SignUp(ctx context.Context, in SignUpRequest, c Client) (*SignedIn, error) {
	if err := a.limiter.Allow(ctx, "signin.ip", c.Addr); err != nil {
		return nil, err
	}
	inv, err := a.findInvitation(ctx, in.Token, c.Addr)
	if err != nil {
		return nil, err
	}
	acct, err := a.newAccount(ctx, NewAccount{Login: in.Login, DisplayName: in.DisplayName, Email: in.Email, Password: in.Password})
	if err != nil {
		return nil, err
	}
	now := a.now()
	octx := koe.WithOrigin(ctx, koe.Origin{Actor: koe.Actor{Kind: koe.ActorSystem}, At: now})
	if _, err := a.store.AcceptInvitation(octx, inv.Hash, acct, now); err != nil {
		return nil, err
	}
	return a.openSession(ctx, acct.ID, MethodInvitation, c, acct)
}

// NewAPIToken is an API token as its account makes it.
type NewAPIToken struct {
	Name string `json:"name"`
	// Events limits the token to these events; empty for all the
	// account's.
	Events []int64 `json:"events"`
	// Roles are the roles it may act with (owner, moderator, presenter;
	// admin for an admin's account-wide rights).
	Roles     []koe.Role `json:"roles"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// IssuedAPIToken is a new API token and its secret, shown once.
type IssuedAPIToken struct {
	*koe.APIToken
	Token string `json:"token"`
}

// maxAPITokens bounds the live tokens of one account.
const maxAPITokens = 50

// CreateAPIToken makes an API token for the caller's account, from a
// browser session (a token cannot make tokens).
func (a *Actions) CreateAPIToken(ctx context.Context, in NewAPIToken) (*IssuedAPIToken, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	name, err := koe.CleanLine("name", in.Name, 1, 100)
	if err != nil {
		return nil, err
	}
	if len(in.Roles) == 0 {
		return nil, koe.Errorf(koe.EINVALID, "roles must name at least one of owner, moderator, presenter, admin")
	}
	for _, r := range in.Roles {
		if !koe.ValidEventRole(r) && r != koe.RoleAdmin {
			return nil, koe.Errorf(koe.EINVALID, "role %q is not one of owner, moderator, presenter, admin", r)
		}
		if r == koe.RoleAdmin && !p.Admin {
			return nil, koe.Errorf(koe.EFORBIDDEN, "only an admin's token can carry admin")
		}
	}
	if len(in.Events) > maxTalksPerRole {
		return nil, koe.Errorf(koe.EINVALID, "at most %d events", maxTalksPerRole)
	}
	for _, e := range in.Events {
		if p.StaffRole(e) == "" {
			return nil, koe.Errorf(koe.EINVALID, "you are not staff of event %d", e)
		}
	}
	now := a.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, koe.Errorf(koe.EINVALID, "expires_at must be in the future")
	}
	list, err := a.store.APITokens(ctx, p.AccountID)
	if err != nil {
		return nil, err
	}
	live := 0
	for _, t := range list {
		if t.RevokedAt == nil && (t.ExpiresAt == nil || t.ExpiresAt.After(now)) {
			live++
		}
	}
	if live >= maxAPITokens {
		return nil, koe.Errorf(koe.ECONFLICT, "at most %d live tokens per account: revoke one first", maxAPITokens)
	}
	secret := auth.NewSecret(auth.APITokenPrefix)
	t := &koe.APIToken{AccountID: p.AccountID, Name: name, Hash: auth.Hash(secret), Events: append([]int64{}, in.Events...),
		Roles: slices.Compact(slices.Sorted(slices.Values(in.Roles))), ExpiresAt: stored(in.ExpiresAt)}
	if err := a.store.CreateAPIToken(a.staffOrigin(ctx, p), t); err != nil {
		return nil, err
	}
	return &IssuedAPIToken{APIToken: t, Token: secret}, nil
}

// APITokens lists the caller's API tokens.
func (a *Actions) APITokens(ctx context.Context) ([]*koe.APIToken, error) {
	p, err := ownAccount(ctx)
	if err != nil {
		return nil, err
	}
	return a.store.APITokens(ctx, p.AccountID)
}

// RevokeAPIToken revokes one of the caller's API tokens.
func (a *Actions) RevokeAPIToken(ctx context.Context, id int64) error {
	p, err := ownAccount(ctx)
	if err != nil {
		return err
	}
	return a.store.RevokeAPIToken(a.staffOrigin(ctx, p), p.AccountID, id, a.now())
}
