package api

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/koehq/koe"
	"github.com/koehq/koe/act"
)

func (s *Server) setupStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.act.Setup(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// setup makes the first admin with the link koe printed at start, and
// signs the browser in.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	var in act.SetupRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	si, err := s.act.CompleteSetup(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	s.setSession(w, si.Session)
	writeJSON(w, http.StatusCreated, si)
	return nil
}

func (s *Server) updateMyAccount(w http.ResponseWriter, r *http.Request) error {
	var in act.MyAccountPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	acct, err := s.act.UpdateMyAccount(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acct)
	return nil
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in act.PasswordChange
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.act.ChangePassword(r.Context(), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAPITokens(w http.ResponseWriter, r *http.Request) error {
	list, err := s.act.APITokens(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": list})
	return nil
}

func (s *Server) createAPIToken(w http.ResponseWriter, r *http.Request) error {
	var in act.NewAPIToken
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	t, err := s.act.CreateAPIToken(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) revokeAPIToken(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "tokenID")
	if err != nil {
		return err
	}
	if err := s.act.RevokeAPIToken(r.Context(), ids[0]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request) error {
	list, err := s.act.Accounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": list})
	return nil
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request) error {
	var in act.NewAccount
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	acct, err := s.act.CreateAccount(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, acct)
	return nil
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "accountID")
	if err != nil {
		return err
	}
	var in act.AccountPatch
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	acct, err := s.act.UpdateAccount(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, acct)
	return nil
}

func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.Staff(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"staff": list})
	return nil
}

func (s *Server) setStaff(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "accountID")
	if err != nil {
		return err
	}
	var in act.StaffRole
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.act.SetStaff(r.Context(), ids[0], ids[1], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) removeStaff(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "accountID")
	if err != nil {
		return err
	}
	if err := s.act.RemoveStaff(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	list, err := s.act.Invitations(r.Context(), ids[0])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
	return nil
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	var in act.NewInvitation
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inv, err := s.act.Invite(r.Context(), ids[0], in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inv)
	return nil
}

func (s *Server) revokeInvitation(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID", "invitationID")
	if err != nil {
		return err
	}
	if err := s.act.RevokeInvitation(r.Context(), ids[0], ids[1]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) previewInvitation(w http.ResponseWriter, r *http.Request) error {
	var in act.InvitationToken
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	pv, err := s.act.PreviewInvitation(r.Context(), in, s.clientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pv)
	return nil
}

// acceptInvitation uses an invitation for the signed-in account.
func (s *Server) acceptInvitation(w http.ResponseWriter, r *http.Request) error {
	var in act.InvitationToken
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.act.AcceptInvitation(r.Context(), in, s.clientIP(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// signUp uses an invitation to create an account, and signs the browser
// in to it.
func (s *Server) signUp(w http.ResponseWriter, r *http.Request) error {
	var in act.SignUpRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	si, err := s.act.SignUp(r.Context(), in, s.client(r))
	if err != nil {
		return err
	}
	s.setSession(w, si.Session)
	writeJSON(w, http.StatusCreated, si)
	return nil
}

func (s *Server) eventAudit(w http.ResponseWriter, r *http.Request) error {
	ids, err := pathIDs(r, "eventID")
	if err != nil {
		return err
	}
	return s.audit(w, r, ids[0])
}

func (s *Server) installationAudit(w http.ResponseWriter, r *http.Request) error {
	return s.audit(w, r, 0)
}

// maxAuditExport bounds one export; a bigger log is exported in parts
// (by time).
const maxAuditExport = 100_000

// audit answers a page of an audit log, or with format=csv or
// format=json the whole of what the filter selects (up to
// maxAuditExport entries) as a download.
func (s *Server) audit(w http.ResponseWriter, r *http.Request, eventID int64) error {
	f, format, err := auditFilter(r)
	if err != nil {
		return err
	}
	if format == "" {
		page, err := s.act.Audit(r.Context(), eventID, f)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, page)
		return nil
	}
	// Read every page before answering, so that a failure is a clear
	// error rather than a truncated file.
	f.Limit = 1000
	entries := []act.AuditEntry{}
	for {
		page, err := s.act.Audit(r.Context(), eventID, f)
		if err != nil {
			return err
		}
		entries = append(entries, page.Entries...)
		if page.NextCursor == nil {
			break
		}
		if len(entries) >= maxAuditExport {
			return koe.Errorf(koe.ETOOLARGE, "more than %d entries: export a shorter time span (since, until)", maxAuditExport)
		}
		f.Before = *page.NextCursor
	}
	name := "koe-audit-" + strconv.FormatInt(eventID, 10) + "-" + time.Now().UTC().Format("20060102T150405Z") + "." + format
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(act.AuditPage{Entries: entries})
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "at", "type", "event_id", "talk_id", "actor_kind", "account_id", "login", "display_name", "via", "addr", "before", "after"})
	for _, e := range entries {
		_ = cw.Write([]string{e.ID, e.At.UTC().Format(time.RFC3339Nano), string(e.Type), strconv.FormatInt(e.EventID, 10), strconv.FormatInt(e.TalkID, 10),
			string(e.Actor.Kind), strconv.FormatInt(e.Actor.AccountID, 10), act.CSVCell(e.Actor.Login), act.CSVCell(e.Actor.DisplayName), e.Actor.Via, e.Actor.Addr,
			act.CSVCell(string(e.Before)), act.CSVCell(string(e.After))})
	}
	cw.Flush()
	return nil
}

// auditFilter reads an audit request's query.
func auditFilter(r *http.Request) (act.AuditFilter, string, error) {
	q := r.URL.Query()
	var f act.AuditFilter
	format := q.Get("format")
	if format != "" && format != "csv" && format != "json" {
		return f, "", koe.Errorf(koe.EINVALID, "format must be csv or json")
	}
	if v := q.Get("account"); v != "" {
		var id int64
		if v != "0" { // the owner token's
			n, err := act.ParseID("account", v)
			if err != nil {
				return f, "", err
			}
			id = n
		}
		f.Account = &id
	}
	f.Type, f.Before = q.Get("type"), q.Get("before")
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, "", koe.Errorf(koe.EINVALID, "%s must be an RFC 3339 time, like 2026-12-01T09:00:00Z", p.name)
			}
			*p.dst = &t
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || strconv.Itoa(n) != v {
			return f, "", koe.Errorf(koe.EINVALID, "limit must be an integer")
		}
		f.Limit = n
		if n < 1 || n > 1000 {
			return f, "", koe.Errorf(koe.EINVALID, "limit must be 1–1000")
		}
	}
	return f, format, nil
}
