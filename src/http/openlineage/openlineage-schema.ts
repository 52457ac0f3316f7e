/**
 * The OpenLineage 2-0-2 core event schema (JSON Schema 2020-12): the structure of
 * https://openlineage.io/spec/2-0-2/OpenLineage.json (Apache-2.0), restated without its
 * descriptions. A module rather than a .json file so the build needs no copy step.
 */
export const OPENLINEAGE_SCHEMA = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
  "$defs": {
    "BaseEvent": {
      "type": "object",
      "properties": {
        "eventTime": {
          "type": "string",
          "format": "date-time"
        },
        "producer": {
          "type": "string",
          "format": "uri"
        },
        "schemaURL": {
          "type": "string",
          "format": "uri"
        }
      },
      "required": [
        "eventTime",
        "producer",
        "schemaURL"
      ]
    },
    "BaseFacet": {
      "type": "object",
      "properties": {
        "_producer": {
          "type": "string",
          "format": "uri"
        },
        "_schemaURL": {
          "type": "string",
          "format": "uri"
        }
      },
      "additionalProperties": true,
      "required": [
        "_producer",
        "_schemaURL"
      ]
    },
    "RunFacet": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/BaseFacet"
        }
      ]
    },
    "RunEvent": {
      "allOf": [
        {
          "$ref": "#/$defs/BaseEvent"
        },
        {
          "type": "object",
          "properties": {
            "eventType": {
              "type": "string",
              "enum": [
                "START",
                "RUNNING",
                "COMPLETE",
                "ABORT",
                "FAIL",
                "OTHER"
              ]
            },
            "run": {
              "$ref": "#/$defs/Run"
            },
            "job": {
              "$ref": "#/$defs/Job"
            },
            "inputs": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/InputDataset"
              }
            },
            "outputs": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/OutputDataset"
              }
            }
          },
          "required": [
            "run",
            "job"
          ]
        }
      ]
    },
    "Run": {
      "type": "object",
      "properties": {
        "runId": {
          "type": "string",
          "format": "uuid"
        },
        "facets": {
          "type": "object",
          "additionalProperties": {
            "$ref": "#/$defs/RunFacet"
          }
        }
      },
      "required": [
        "runId"
      ]
    },
    "JobFacet": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/BaseFacet"
        }
      ],
      "properties": {
        "_deleted": {
          "type": "boolean"
        }
      }
    },
    "Job": {
      "type": "object",
      "properties": {
        "namespace": {
          "type": "string"
        },
        "name": {
          "type": "string"
        },
        "facets": {
          "type": "object",
          "additionalProperties": {
            "$ref": "#/$defs/JobFacet"
          }
        }
      },
      "required": [
        "namespace",
        "name"
      ]
    },
    "DatasetFacet": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/BaseFacet"
        }
      ],
      "properties": {
        "_deleted": {
          "type": "boolean"
        }
      }
    },
    "Dataset": {
      "type": "object",
      "properties": {
        "namespace": {
          "type": "string"
        },
        "name": {
          "type": "string"
        },
        "facets": {
          "type": "object",
          "additionalProperties": {
            "$ref": "#/$defs/DatasetFacet"
          }
        }
      },
      "required": [
        "namespace",
        "name"
      ]
    },
    "InputDatasetFacet": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/BaseFacet"
        }
      ]
    },
    "InputDataset": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/Dataset"
        },
        {
          "type": "object",
          "properties": {
            "inputFacets": {
              "type": "object",
              "additionalProperties": {
                "$ref": "#/$defs/InputDatasetFacet"
              }
            }
          }
        }
      ]
    },
    "OutputDatasetFacet": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/BaseFacet"
        }
      ]
    },
    "OutputDataset": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/Dataset"
        },
        {
          "type": "object",
          "properties": {
            "outputFacets": {
              "type": "object",
              "additionalProperties": {
                "$ref": "#/$defs/OutputDatasetFacet"
              }
            }
          }
        }
      ]
    },
    "StaticDataset": {
      "type": "object",
      "allOf": [
        {
          "$ref": "#/$defs/Dataset"
        }
      ]
    },
    "DatasetEvent": {
      "allOf": [
        {
          "$ref": "#/$defs/BaseEvent"
        },
        {
          "type": "object",
          "properties": {
            "dataset": {
              "$ref": "#/$defs/StaticDataset"
            }
          },
          "required": [
            "dataset"
          ],
          "not": {
            "required": [
              "job",
              "run"
            ]
          }
        }
      ]
    },
    "JobEvent": {
      "allOf": [
        {
          "$ref": "#/$defs/BaseEvent"
        },
        {
          "type": "object",
          "properties": {
            "job": {
              "$ref": "#/$defs/Job"
            },
            "inputs": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/InputDataset"
              }
            },
            "outputs": {
              "type": "array",
              "items": {
                "$ref": "#/$defs/OutputDataset"
              }
            }
          },
          "required": [
            "job"
          ],
          "not": {
            "required": [
              "run"
            ]
          }
        }
      ]
    }
  },
  "type": "object",
  "oneOf": [
    {
      "$ref": "#/$defs/RunEvent"
    },
    {
      "$ref": "#/$defs/DatasetEvent"
    },
    {
      "$ref": "#/$defs/JobEvent"
    }
  ]
};
