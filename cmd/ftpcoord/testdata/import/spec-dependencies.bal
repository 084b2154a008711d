// After the spec's 4.5.3: a CSV is taken only with its marker file. The
// listener-level form (deprecated in 2.17) with a ServiceConfig-free service.
import ballerina/ftp;

final string markerSuffix = ".done";

listener ftp:Listener batches = new ({
    protocol: ftp:FTP,
    host: "127.0.0.1",
    port: 2121,
    path: "/batches",
    fileNamePattern: "batch_(\\d+)\\.csv",
    fileAgeFilter: {minAge: 5, maxAge: 3600, ageCalculationMode: ftp:LAST_MODIFIED},
    fileDependencyConditions: [
        {targetPattern: "batch_(\\d+)\\.csv", requiredFiles: ["batch_$1\\.done"], matchingMode: ftp:ALL},
        {targetPattern: "batch_(\\d+)\\.csv", requiredFiles: ["part_$1_.*"], matchingMode: ftp:EXACT_COUNT, requiredFileCount: 3}
    ],
    retryConfig: {count: 5, interval: 2.0, backOffFactor: 1.5, maxWaitInterval: 20.0}
});

service on batches {
    remote function onFileChange(ftp:WatchEvent & readonly event, ftp:Caller caller) returns error? {
    }
}
