package deploytest

import (
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// koe scorer (components/scorer): the shipped learned model over the HTTP
// scorer contract, on its own listener (KOE_SCORER_ADDR, whose default in
// koe is loopback only), reached by koe serve through KOE_SCORERS.
const (
	ScorerPortName = "http"
	ScorerPort     = 8090
	ScorerHealth   = "/healthz"
)

// ScorerLabels select the scorer's pods.
var ScorerLabels = map[string]string{LabelName: "koe", LabelComponent: "scorer"}

// koe scorer's drain when KOE_DRAIN_TIMEOUT is unset (cmd/koe/scorer.go).
const scorerDefaultDrain = 20 * time.Second

// checkScorerContainer checks a container running koe scorer: no secret
// (it needs none, and it is one more place a database URL could leak
// from), the one port http (8090) with KOE_SCORER_ADDR on it and off
// loopback, probes on /healthz, and a preStop sleep and grace period that
// let the endpoints drop the pod before it drains.
func checkScorerContainer(objs []Object, pod Pod, id string, c corev1.Container) []string {
	var p problems
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil {
			p.add("%s: koe scorer needs no secret; leave envFrom %s out", id, e.SecretRef.Name)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			p.add("%s: koe scorer needs no secret; %s comes from Secret %s", id, e.Name, e.ValueFrom.SecretKeyRef.Name)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != ScorerPortName || c.Ports[0].ContainerPort != ScorerPort ||
		(c.Ports[0].Protocol != "" && c.Ports[0].Protocol != corev1.ProtocolTCP) {
		p.add("%s: koe scorer declares exactly the container port %s (%d/TCP)", id, ScorerPortName, ScorerPort)
	}
	env := containerEnv(objs, c)
	if v, ok := env["KOE_SCORER_ADDR"]; !ok {
		p.add("%s: KOE_SCORER_ADDR must be set to :%d (koe scorer's default, 127.0.0.1:%d, is unreachable from outside the pod)", id, ScorerPort, ScorerPort)
	} else if host, port, err := net.SplitHostPort(v.value); err != nil || port != strconv.Itoa(ScorerPort) {
		p.add("%s: KOE_SCORER_ADDR %q must listen on port %d, the container port %s", id, v.value, ScorerPort, ScorerPortName)
	} else if loopback(host) {
		p.add("%s: KOE_SCORER_ADDR %q: loopback, unreachable from koe's pods; use :%d", id, v.value, ScorerPort)
	}
	probe := func(what string, pr *corev1.Probe) {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Path != ScorerHealth || pr.HTTPGet.Port.String() != ScorerPortName {
			p.add("%s: %s probe must GET %s on port %s", id, what, ScorerHealth, ScorerPortName)
		}
	}
	probe("liveness", c.LivenessProbe)
	probe("readiness", c.ReadinessProbe)
	var preStop int64
	if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if preStop < 5 {
		p.add("%s: needs a preStop sleep of at least 5 s: koe counts a scorer that refuses connections as failing", id)
	}
	drain := scorerDefaultDrain
	if v, ok := env["KOE_DRAIN_TIMEOUT"]; ok {
		d, err := time.ParseDuration(v.value)
		if err != nil {
			p.add("%s: KOE_DRAIN_TIMEOUT %q: %v", id, v.value, err)
		}
		drain = d
	}
	need := preStop + int64(drain/time.Second) + 5
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g < need {
		p.add("%s: terminationGracePeriodSeconds must be at least preStop + KOE_DRAIN_TIMEOUT + 5 = %d", pod.Owner.ID(), need)
	}
	return p
}

// isScorer reports whether a container runs koe scorer.
func isScorer(c corev1.Container) bool {
	return (strings.HasPrefix(c.Image, Image+":") || strings.HasPrefix(c.Image, Image+"@")) && len(c.Args) > 0 && c.Args[0] == "scorer"
}

func scorerPods(objs []Object) []Pod {
	var out []Pod
	for _, pod := range Pods(objs) {
		if pod.LongLife && slices.ContainsFunc(pod.Spec.Containers, isScorer) {
			out = append(out, pod)
		}
	}
	return out
}

// CheckScorer checks the objects around koe scorer's pods, where there
// are any: the scorer labels, a PodDisruptionBudget when there is more
// than one replica, a Service, and NetworkPolicies that admit only koe's
// server pods and let the scorer connect nowhere but DNS. (Its containers
// are checked with every other pod's, in CheckPods.)
func CheckScorer(objs []Object) []string {
	var p problems
	for _, pod := range scorerPods(objs) {
		id := pod.Owner.ID()
		if !selects(ScorerLabels, pod.Labels) {
			p.add("%s: the scorer's pods carry the labels %v, which its Service and NetworkPolicies select", id, ScorerLabels)
			continue
		}
		if d, ok := pod.Owner.Obj.(*appsv1.Deployment); ok && (d.Spec.Replicas == nil || *d.Spec.Replicas > 1) {
			found := false
			for _, o := range OfKind(objs, "PodDisruptionBudget") {
				pdb := o.Obj.(*policyv1.PodDisruptionBudget)
				if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err == nil && sel.Matches(labels.Set(pod.Labels)) &&
					(pdb.Spec.MaxUnavailable != nil || pdb.Spec.MinAvailable != nil) {
					found = true
				}
			}
			if !found {
				p.add("%s: no PodDisruptionBudget selects the scorer's pods", id)
			}
		}
		if !slices.ContainsFunc(OfKind(objs, "Service"), func(o Object) bool {
			return selects(o.Obj.(*corev1.Service).Spec.Selector, pod.Labels)
		}) {
			p.add("%s: no Service selects the scorer's pods", id)
		}
		var ingress, egress bool
		for _, o := range policiesFor(objs, pod.Labels) {
			np := o.Obj.(*networkingv1.NetworkPolicy)
			ingress = ingress || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
			egress = egress || slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
			for _, rule := range np.Spec.Ingress {
				if len(rule.From) == 0 {
					p.add("%s: admits every source to the scorer; only koe's server pods send it participants' texts", o.ID())
				}
				for _, peer := range rule.From {
					if peer.IPBlock != nil || peer.NamespaceSelector != nil || peer.PodSelector == nil ||
						len(peer.PodSelector.MatchExpressions) > 0 || !maps.Equal(peer.PodSelector.MatchLabels, ServerLabels) {
						p.add("%s: admits %s to the scorer; only koe's server pods (%v) may reach it", o.ID(), peerString(peer), ServerLabels)
					}
				}
			}
			for _, rule := range np.Spec.Egress {
				if len(rule.Ports) == 0 || slices.ContainsFunc(rule.Ports, func(pp networkingv1.NetworkPolicyPort) bool {
					return pp.Port == nil || pp.Port.IntVal != 53 || pp.EndPort != nil
				}) {
					p.add("%s: the scorer connects nowhere (at most DNS), not to ports %v", o.ID(), portList(rule.Ports))
				}
			}
		}
		if !ingress || !egress {
			p.add("%s: a NetworkPolicy must restrict both Ingress and Egress of the scorer's pods", id)
		}
	}
	return p
}

// CheckScorers checks KOE_SCORERS in koe-config, as koe serve parses it
// (name=URL, comma-separated): every scorer inside the cluster is a Service
// of the manifests with the URL's port, which leads to a container port
// of the pods it selects, and the NetworkPolicies let koe's server pods
// reach those pods there (koe's egress and the scorer's ingress); a scorer
// outside the cluster is HTTPS, the only port koe's egress reaches
// outside. A scorer koe cannot reach is not a loud failure: koe counts it
// as unavailable, and an event that fails closed queues every text.
func CheckScorers(objs []Object) []string {
	var p problems
	raw := ConfigData(objs)["KOE_SCORERS"]
	ns := ""
	for _, o := range OfKind(objs, "ConfigMap") {
		if strings.HasPrefix(o.Meta.GetName(), "koe-config") {
			ns = o.Meta.GetNamespace()
		}
	}
	server := serverPods(objs)
	for _, pair := range strings.Split(raw, ",") {
		if pair = strings.TrimSpace(pair); pair == "" {
			continue
		}
		name, rawURL, ok := strings.Cut(pair, "=")
		name, rawURL = strings.TrimSpace(name), strings.TrimSpace(rawURL)
		name, _ = strings.CutSuffix(name, ":flag") // flag only: koe serve's parseScorers
		if !ok || name == "" {
			p.add("KOE_SCORERS: %q is not name=URL", pair)
			continue
		}
		u, err := url.Parse(rawURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			p.add("KOE_SCORERS: %s: %q is not an http:// or https:// URL with a host", name, rawURL)
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		svcName, svcNS, inCluster := clusterService(u.Hostname())
		if !inCluster {
			if u.Scheme != "https" || port != "443" {
				p.add("KOE_SCORERS: %s: %s is outside the cluster, where koe's egress reaches HTTPS (443) only", name, rawURL)
			}
			continue
		}
		if svcNS != "" && svcNS != ns {
			p.add("KOE_SCORERS: %s: %s is in namespace %s; koe's egress reaches scorers in its own namespace only", name, rawURL, svcNS)
			continue
		}
		o := Find(objs, "Service", svcName)
		if o == nil {
			p.add("KOE_SCORERS: %s: %s names Service %s, which is not in the manifests", name, rawURL, svcName)
			continue
		}
		svc := o.Obj.(*corev1.Service)
		i := slices.IndexFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return strconv.Itoa(int(sp.Port)) == port })
		if i < 0 {
			p.add("KOE_SCORERS: %s: %s: Service %s has no port %s", name, rawURL, svcName, port)
			continue
		}
		sp := svc.Spec.Ports[i]
		var backends []Pod
		for _, pod := range Pods(objs) {
			if pod.LongLife && selects(svc.Spec.Selector, pod.Labels) {
				backends = append(backends, pod)
			}
		}
		if len(backends) == 0 {
			p.add("KOE_SCORERS: %s: Service %s selects no pod of the manifests", name, svcName)
		}
		for _, b := range backends {
			cp := targetPort(b, sp)
			if cp == nil {
				p.add("KOE_SCORERS: %s: Service %s port %s targets %s, no container port of %s", name, svcName, port, sp.TargetPort.String(), b.Owner.ID())
				continue
			}
			for _, s := range server {
				if !reaches(objs, s, b, *cp) {
					p.add("KOE_SCORERS: %s: the NetworkPolicies do not let koe's server pods reach %s on port %d (koe's egress and the scorer's ingress must both allow it)",
						name, b.Owner.ID(), cp.ContainerPort)
				}
			}
		}
	}
	return p
}

// clusterService reads a URL's host as a Service name, as koe's pods
// resolve it: a short name in their own namespace, or name.namespace.svc
// with or without the cluster domain. Anything else (a dotted host) is
// taken to lie outside the cluster.
func clusterService(host string) (name, namespace string, ok bool) {
	parts := strings.Split(strings.TrimSuffix(strings.ToLower(host), "."), ".")
	switch {
	case len(parts) == 1 && net.ParseIP(host) == nil:
		return parts[0], "", true
	case len(parts) >= 3 && parts[2] == "svc" && (len(parts) == 3 || strings.Join(parts[3:], ".") == "cluster.local"):
		return parts[0], parts[1], true
	}
	return "", "", false
}

// targetPort is the container port of pod that a Service port leads to.
func targetPort(pod Pod, sp corev1.ServicePort) *corev1.ContainerPort {
	for _, c := range pod.Spec.Containers {
		for i, cp := range c.Ports {
			t := sp.TargetPort
			switch {
			case t.Type == intstr.String && t.StrVal != "":
				if cp.Name == t.StrVal {
					return &c.Ports[i]
				}
			case t.Type == intstr.Int && t.IntVal != 0:
				if cp.ContainerPort == t.IntVal {
					return &c.Ports[i]
				}
			case cp.ContainerPort == sp.Port:
				return &c.Ports[i]
			}
		}
	}
	return nil
}

// policiesFor returns the NetworkPolicies that select pods with these labels.
func policiesFor(objs []Object, l map[string]string) []Object {
	var out []Object
	for _, o := range OfKind(objs, "NetworkPolicy") {
		sel, err := metav1.LabelSelectorAsSelector(&o.Obj.(*networkingv1.NetworkPolicy).Spec.PodSelector)
		if err == nil && sel.Matches(labels.Set(l)) {
			out = append(out, o)
		}
	}
	return out
}

// reaches reports whether the NetworkPolicies of the manifests let pods
// like from open TCP connections to pods like to on the container port cp,
// both in the same namespace: egress of from's policies and ingress of
// to's, each allowing when no policy of that direction selects the pod.
// Peers given by ipBlock are not counted (pod addresses are unknown here),
// nor namespaces the manifests do not describe.
func reaches(objs []Object, from, to Pod, cp corev1.ContainerPort) bool {
	nsLabels := map[string]string{}
	if ns := from.Owner.Meta.GetNamespace(); ns != "" {
		nsLabels["kubernetes.io/metadata.name"] = ns
		if o := Find(objs, "Namespace", ns); o != nil {
			maps.Copy(nsLabels, o.Meta.GetLabels())
		}
	}
	peerMatches := func(peers []networkingv1.NetworkPolicyPeer, l map[string]string) bool {
		if len(peers) == 0 {
			return true
		}
		for _, peer := range peers {
			if peer.IPBlock != nil {
				continue
			}
			if peer.NamespaceSelector != nil {
				sel, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
				if err != nil || !sel.Matches(labels.Set(nsLabels)) {
					continue
				}
			}
			if peer.PodSelector == nil {
				return true
			}
			if sel, err := metav1.LabelSelectorAsSelector(peer.PodSelector); err == nil && sel.Matches(labels.Set(l)) {
				return true
			}
		}
		return false
	}
	portMatches := func(ports []networkingv1.NetworkPolicyPort) bool {
		if len(ports) == 0 {
			return true
		}
		for _, pp := range ports {
			if pp.Protocol != nil && *pp.Protocol != corev1.ProtocolTCP {
				continue
			}
			switch {
			case pp.Port == nil:
				return true
			case pp.Port.Type == intstr.String:
				if pp.Port.StrVal == cp.Name {
					return true
				}
			case pp.Port.IntVal == cp.ContainerPort || (pp.EndPort != nil && pp.Port.IntVal <= cp.ContainerPort && cp.ContainerPort <= *pp.EndPort):
				return true
			}
		}
		return false
	}
	allowed := func(pod Pod, kind networkingv1.PolicyType, rule func(np *networkingv1.NetworkPolicy) bool) bool {
		restricted := false
		for _, o := range policiesFor(objs, pod.Labels) {
			np := o.Obj.(*networkingv1.NetworkPolicy)
			if !slices.Contains(np.Spec.PolicyTypes, kind) {
				continue
			}
			restricted = true
			if rule(np) {
				return true
			}
		}
		return !restricted
	}
	out := allowed(from, networkingv1.PolicyTypeEgress, func(np *networkingv1.NetworkPolicy) bool {
		return slices.ContainsFunc(np.Spec.Egress, func(r networkingv1.NetworkPolicyEgressRule) bool {
			return peerMatches(r.To, to.Labels) && portMatches(r.Ports)
		})
	})
	in := allowed(to, networkingv1.PolicyTypeIngress, func(np *networkingv1.NetworkPolicy) bool {
		return slices.ContainsFunc(np.Spec.Ingress, func(r networkingv1.NetworkPolicyIngressRule) bool {
			return peerMatches(r.From, from.Labels) && portMatches(r.Ports)
		})
	})
	return out && in
}

// isScorerPeer reports whether an egress peer is exactly the scorer's pods
// in koe's own namespace.
func isScorerPeer(peer networkingv1.NetworkPolicyPeer) bool {
	return peer.IPBlock == nil && peer.NamespaceSelector == nil && peer.PodSelector != nil &&
		len(peer.PodSelector.MatchExpressions) == 0 && maps.Equal(peer.PodSelector.MatchLabels, ScorerLabels)
}

// scorerEgress reports whether an egress rule of koe's NetworkPolicy is
// the scorer's (components/scorer): to the scorer's pods only, on its port
// only.
func scorerEgress(rule networkingv1.NetworkPolicyEgressRule) bool {
	return len(rule.To) > 0 && !slices.ContainsFunc(rule.To, func(peer networkingv1.NetworkPolicyPeer) bool { return !isScorerPeer(peer) }) &&
		len(rule.Ports) > 0 && !slices.ContainsFunc(rule.Ports, func(pp networkingv1.NetworkPolicyPort) bool {
		return pp.Port == nil || pp.EndPort != nil || pp.Port.String() != strconv.Itoa(ScorerPort)
	})
}
