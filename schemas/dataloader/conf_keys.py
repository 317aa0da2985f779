"""The setting keys Data Loader knows (its ``AppConfig`` at 6cc5719f), and which hold secrets."""

from __future__ import annotations

KNOWN_KEYS = frozenset(
    {
        # Data access: the source or destination, its encoding and batch sizes.
        "dataAccess.name",
        "dataAccess.readBatchSize",
        "dataAccess.readCharset",
        "dataAccess.readUTF8",
        "dataAccess.skipTotalCount",
        "dataAccess.type",
        "dataAccess.writeBatchSize",
        "dataAccess.writeCharset",
        "dataAccess.writeUTF8",
        "datefield.usegmt",
        # Loader and UI behaviour.
        "config.properties.readonly",
        "loader.bufferUnprocessedBulkQueryResults",
        "loader.cacheSObjectNamesAndFields",
        "loader.csvComma",
        "loader.csvOther",
        "loader.csvOtherValue",
        "loader.csvTab",
        "loader.hideWelcome",
        "loader.query.delimiter",
        "loader.query.includeBinaryData",
        "loader.query.limitOutputToQueryFields",
        "loader.ui.showUpgrade",
        # The process: operation, mapping, outputs, restart.
        "process.batchMode.exitWithErrorOnFailedRows",
        "process.bulk.cacheDataFromDao",
        "process.bulk.saveServerLoadAndRawResultsInCSV",
        "process.enableExtractStatusOutput",
        "process.enableLastRunOutput",
        "process.encryptionKeyFile",
        "process.initialLastRunDate",
        "process.keepAccountTeam",
        "process.lastRunOutputDirectory",
        "process.loadRowToStartAt",
        "process.mappingFile",
        "process.name",
        "process.operation",
        "process.outputError",
        "process.outputSuccess",
        "process.statusOutputDirectory",
        "process.thread.name",
        "process.useEuropeanDates",
        # Salesforce: login, object, API and load options.
        "salesforce.api.version",
        "salesforce.oauth.instanceURL",
        "salesforce.saveAllSettings",
        "sfdc.assignmentRule",
        "sfdc.bulkApiCheckStatusInterval",
        "sfdc.bulkApiSerialMode",
        "sfdc.bulkApiZipContent",
        "sfdc.connectionTimeoutSecs",
        "sfdc.debugMessages",
        "sfdc.debugMessagesFile",
        "sfdc.deleteWithExternalId",
        "sfdc.enableRetries",
        "sfdc.endpoint",
        "sfdc.entity",
        "sfdc.externalIdField",
        "sfdc.extraction.allCapsHeaders",
        "sfdc.extraction.outputByteOrderMark",
        "sfdc.extractionRequestSize",
        "sfdc.extractionSOQL",
        "sfdc.formatPhoneFields",
        "sfdc.insertNulls",
        "sfdc.load.preserveWhitespaceInRichText",
        "sfdc.load.removeLeadingTrailingWhitepaceInIdLookupField",
        "sfdc.loadBatchSize",
        "sfdc.maxRetries",
        "sfdc.minRetrySleepSecs",
        "sfdc.noCompression",
        "sfdc.oauth.timeout.seconds",
        "sfdc.password",
        "sfdc.proxyHost",
        "sfdc.proxyNtlmDomain",
        "sfdc.proxyPassword",
        "sfdc.proxyPort",
        "sfdc.proxyUsername",
        "sfdc.resetUrlOnLogin",
        "sfdc.reuseClientConnection",
        "sfdc.soql.maxlength",
        "sfdc.sortExtractionFields",
        "sfdc.timeoutSecs",
        "sfdc.timezone",
        "sfdc.truncateFields",
        "sfdc.ui.wizard.closeOnFinish",
        "sfdc.ui.wizard.finishStep.prepopulateWithPreviousOpResultsFolder",
        "sfdc.ui.wizard.height",
        "sfdc.ui.wizard.width",
        "sfdc.ui.wizard.xoffset",
        "sfdc.ui.wizard.yoffset",
        "sfdc.updateWithExternalId",
        "sfdc.useBulkApi",
        "sfdc.useBulkV2Api",
        "sfdc.useLegacyHttpGet",
        "sfdc.useSysPropsForHttpClient",
        "sfdc.username",
        "sfdc.wireOutput",
        "sfdcInternal",
        "sfdcInternal.isSessionIdLogin",
        "sfdcInternal.sessionId",
        "sfdx.richtext.regex",
    }
)

# Families of keys built from an environment name (sfdc.endpoint.Production,
# sfdc.oauth.Sandbox.bulk.clientid) and pilot switches.
KNOWN_PREFIXES = ("sfdc.endpoint.", "sfdc.oauth.", "pilot.")

# Words in a key whose value is a secret (Data Loader's ENCRYPTED_PROPERTY_NAMES: the password,
# the proxy password, OAuth tokens and client secrets; plus a session id): never kept.
_SECRET_WORDS = ("password", "secret", "token", "sessionid")


def is_known(key: str) -> bool:
    """Whether Data Loader knows the key."""
    return key in KNOWN_KEYS or key.startswith(KNOWN_PREFIXES)


def is_secret(key: str) -> bool:
    """Whether the key's value is a credential (whatever its spelling)."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)
