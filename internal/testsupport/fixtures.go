package testsupport

// Manifests the tests of the CLI and of package manifest build on. ChatService is WebSocket by
// its port name; ChatDeployment and ChatIngress are WebSocket only through it (the Ingress
// routes to its port by number, the Deployment's pods are selected by it), so they show whether
// facts reach the engine. ConfigMap is an object no rule judges.
const (
	ChatService = `apiVersion: v1
kind: Service
metadata:
  name: chat
spec:
  selector: {app: chat}
  ports:
  - name: websocket
    port: 80
    targetPort: 8080
`
	ChatDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  selector:
    matchLabels: {app: chat}
  template:
    metadata:
      labels: {app: chat}
    spec:
      containers:
      - name: chat
        image: example.com/chat:1
        ports:
        - containerPort: 8080
        readinessProbe:
          tcpSocket: {port: 8080}
`
	ChatIngress = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
spec:
  ingressClassName: nginx
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: chat
            port: {number: 80}
`
	ConfigMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  greeting: hello
`
)
