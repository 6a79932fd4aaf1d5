package fluvio
