package deploytest

import (
	"fmt"

	rollouts "github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	monitoring "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/kustomize/api/resmap"
)

// Object is one rendered object, decoded into its Go type.
type Object struct {
	GVK  schema.GroupVersionKind
	Meta metav1.Object
	Obj  runtime.Object
}

// ID names the object in messages.
func (o Object) ID() string {
	if ns := o.Meta.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", o.GVK.Kind, ns, o.Meta.GetName())
	}
	return o.GVK.Kind + " " + o.Meta.GetName()
}

// Scheme knows every kind koe's manifests may use: Kubernetes' own, Argo
// Rollouts' and the Prometheus Operator's. Anything else is an error.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{scheme.AddToScheme, rollouts.AddToScheme, monitoring.AddToScheme} {
		if err := add(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Decode turns a rendered kustomization into typed objects. Decoding is
// strict: an unknown or duplicated field, a wrong type or an unknown kind
// fails, as a typo in a manifest would be silently dropped by kubectl's
// client-side apply otherwise.
func Decode(m resmap.ResMap) ([]Object, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	dec := json.NewSerializerWithOptions(json.DefaultMetaFactory, s, s, json.SerializerOptions{Yaml: true, Strict: true})
	var objs []Object
	for _, r := range m.Resources() {
		b, err := r.AsYAML()
		if err != nil {
			return nil, err
		}
		gvk := schema.FromAPIVersionAndKind(r.GetApiVersion(), r.GetKind())
		into, err := s.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("%s %s: kind unknown to the test's scheme: %w", gvk, r.GetName(), err)
		}
		obj, _, err := dec.Decode(b, &gvk, into)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gvk.Kind, r.GetName(), err)
		}
		meta, ok := obj.(metav1.Object)
		if !ok {
			return nil, fmt.Errorf("%s %s: no object metadata", gvk.Kind, r.GetName())
		}
		objs = append(objs, Object{GVK: gvk, Meta: meta, Obj: obj})
	}
	return objs, nil
}

// Pod is a pod template found in an object, with where it came from.
type Pod struct {
	Owner       Object
	Kind        string // the owner's kind, or "AnalysisTemplate job"
	Labels      map[string]string
	Annotations map[string]string
	Spec        *corev1.PodSpec
	LongLife    bool // a server (Deployment, StatefulSet, Rollout), not a run-to-completion task
}

// Pods lists every pod template of the objects: workloads, Jobs, CronJobs,
// Rollouts with their own template, and Job metrics of AnalysisTemplates.
func Pods(objs []Object) []Pod {
	var pods []Pod
	add := func(o Object, kind string, t *corev1.PodTemplateSpec, long bool) {
		pods = append(pods, Pod{Owner: o, Kind: kind, Labels: t.Labels, Annotations: t.Annotations, Spec: &t.Spec, LongLife: long})
	}
	for _, o := range objs {
		switch v := o.Obj.(type) {
		case *appsv1.Deployment:
			add(o, "Deployment", &v.Spec.Template, true)
		case *appsv1.StatefulSet:
			add(o, "StatefulSet", &v.Spec.Template, true)
		case *appsv1.DaemonSet:
			add(o, "DaemonSet", &v.Spec.Template, true)
		case *batchv1.Job:
			add(o, "Job", &v.Spec.Template, false)
		case *batchv1.CronJob:
			add(o, "CronJob", &v.Spec.JobTemplate.Spec.Template, false)
		case *rollouts.Rollout:
			if v.Spec.WorkloadRef == nil {
				add(o, "Rollout", &v.Spec.Template, true)
			}
		case *rollouts.AnalysisTemplate:
			for _, m := range v.Spec.Metrics {
				if m.Provider.Job != nil {
					add(o, "AnalysisTemplate job", &m.Provider.Job.Spec.Template, false)
				}
			}
		}
	}
	return pods
}

// Find returns the object of the given kind and name, or nil.
func Find(objs []Object, kind, name string) *Object {
	for i := range objs {
		if objs[i].GVK.Kind == kind && objs[i].Meta.GetName() == name {
			return &objs[i]
		}
	}
	return nil
}

// OfKind returns the objects of one kind.
func OfKind(objs []Object, kind string) []Object {
	var out []Object
	for _, o := range objs {
		if o.GVK.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}
