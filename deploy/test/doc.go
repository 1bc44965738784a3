// Package deploytest holds the tests of koe's Kubernetes manifests and
// Dockerfile; see render.go for the renderer that make preview also uses.
package deploytest
