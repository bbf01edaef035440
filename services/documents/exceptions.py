"""Error codes raised by the documents service (with the services.common.errors
classes). The gateway translates each code for the user.

ValidationFailed: the code is the reason itself and `fields` is {"file": reason}:
    filename_too_long   file name over 100 characters (after stripping any path)
    file_empty          declared size 0, or nothing but an empty object arrived
    file_too_large      declared or stored size over the allowed maximum
    file_missing        no file name, nothing uploaded, or the upload is no longer pending
    file_type_invalid   the content is not a PDF, JPEG, PNG or HEIC (the name does not count)
    file_corrupt        a PDF that does not parse, an image that does not decode
    file_polyglot       a file that is two formats at once (a PDF header inside an image...)
    pdf_encrypted       a PDF protected by a password
    pdf_script          a PDF with JavaScript or actions launching something
    pdf_attachment      a PDF carrying embedded files
    image_too_large     an image of more pixels than allowed (a decompression bomb)
    file_infected       the virus scanner found something (logged with the signature)
    template_not_pdf    a piece template (purpose "template") whose content is not a PDF
    signature_not_image a commission signature (purpose "signature") that is not a PNG or JPEG
    storage_quota_exceeded  the candidate's stored files and unfinished uploads would
                        go over CANDIDATE_STORAGE_QUOTA_MB (create_upload, confirm_upload)
  other fields (code invalid): application_id required (render_admission_letter)

Forbidden:
    forbidden           discard_upload asked by anyone but a service

NotFound:
    not_found           no such document, or it is not stored (pending, rejected, deleted)
"""
INVALID = "invalid"
REQUIRED = "required"

FILENAME_TOO_LONG = "filename_too_long"
FILE_TOO_LARGE = "file_too_large"
FILE_EMPTY = "file_empty"
FILE_MISSING = "file_missing"
FILE_TYPE_INVALID = "file_type_invalid"
TEMPLATE_NOT_PDF = "template_not_pdf"
SIGNATURE_NOT_IMAGE = "signature_not_image"
STORAGE_QUOTA_EXCEEDED = "storage_quota_exceeded"
FILE_CORRUPT = "file_corrupt"
FILE_POLYGLOT = "file_polyglot"
PDF_ENCRYPTED = "pdf_encrypted"
PDF_SCRIPT = "pdf_script"
PDF_ATTACHMENT = "pdf_attachment"
IMAGE_TOO_LARGE = "image_too_large"
FILE_INFECTED = "file_infected"

DOCUMENT_NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"

# Generated documents (letters, dossiers, archives)
TOO_LONG = "too_long"
TEMPLATE_INVALID = "template_invalid"        # a letter wording the sandbox cannot render
INVALID_KIND = "invalid_choice"              # letter kind other than admission, refusal
TOO_MANY_DOSSIERS = "too_many_dossiers"      # ValidationFailed: over 500 dossiers in an archive
TOO_MANY_FOR_PDF = "too_many_for_pdf"        # ValidationFailed: over 100 dossiers in one PDF
